using Pama.Tests.Reference;
using Xunit;

namespace Pama.Tests;

/// <summary>The batched solver agrees with the scalar solver row by row, bit for bit.</summary>
public sealed class PamaSolverBatchTests
{
    [Fact]
    public void BatchedEqualsScalarRowByRowExactly()
    {
        var generator = new StatisticsGenerator(seed: 11);
        var random = generator.Random;
        for (int k = 0; k < 1_500; k++)
        {
            int n = random.Next(3) == 0 ? random.Next(1, 6) : generator.NextCount();
            int rows = random.Next(0, 23);
            var statistics = new double[rows * n];
            for (int r = 0; r < rows; r++)
            {
                generator.Next(n).CopyTo(statistics, r * n);
            }

            var values = new double[rows];
            var weights = new double[rows * n];
            var valuesOnly = new double[rows];
            PamaSolver.SolveBatch(statistics, n, values, weights);
            PamaSolver.SolveBatch(statistics, n, valuesOnly);

            var rowWeights = new double[n];
            for (int r = 0; r < rows; r++)
            {
                double expected = PamaSolver.Solve(statistics.AsSpan(r * n, n), rowWeights);
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(values[r]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(valuesOnly[r]));
                for (int i = 0; i < n; i++)
                {
                    Assert.True(
                        BitConverter.DoubleToInt64Bits(rowWeights[i]) == BitConverter.DoubleToInt64Bits(weights[(r * n) + i]),
                        $"case {k}, row {r}, objective {i}: batched {weights[(r * n) + i]:R}, scalar {rowWeights[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void BatchedRowsSatisfyTheoremOneAgainstBruteForce()
    {
        var generator = new StatisticsGenerator(seed: 12);
        const int n = 4;
        const int rows = 4_001;
        var statistics = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            generator.Next(n).CopyTo(statistics, r * n);
        }

        var values = new double[rows];
        var weights = new double[rows * n];
        PamaSolver.SolveBatch(statistics, n, values, weights);

        for (int r = 0; r < rows; r++)
        {
            double[] a = statistics.AsSpan(r * n, n).ToArray();
            Assert.Equal(BruteForcePama.OptimalValue(a), values[r]);
            WeightInvariants.AssertOptimal(a, values[r], weights.AsSpan(r * n, n).ToArray(), $"row {r}");
        }
    }

    [Fact]
    public void EmptyStatisticsAreABatchOfZeroRows()
    {
        // Zero rows need zero values: an empty destination is accepted, a non-empty one is a length mismatch.
        PamaSolver.SolveBatch(ReadOnlySpan<double>.Empty, 3, Span<double>.Empty, Span<double>.Empty);
        PamaSolver.SolveBatch(ReadOnlySpan<double>.Empty, 3, Span<double>.Empty);
        var values = new[] { 42.0 };
        var error = Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(ReadOnlySpan<double>.Empty, 3, values));
        Assert.Equal("values", error.ParamName);
        Assert.Contains("0 rows", error.Message);
        Assert.Equal(42.0, values[0]);
    }
}
