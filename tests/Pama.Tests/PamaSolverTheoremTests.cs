using Pama.Tests.Reference;
using Xunit;

namespace Pama.Tests;

/// <summary>Theorem 1 (He and Maghsudi 2025) checked against brute force and analytic cases.</summary>
public sealed class PamaSolverTheoremTests
{
    private const int RandomCases = 20_000;

    [Theory]
    [InlineData(new[] { 3.0, 1.0, 2.0 }, 1.0, new[] { 0.0, 1.0, 0.0 })]
    [InlineData(new[] { -3.0, -1.0, -2.0 }, -1.0, new[] { 0.0, 1.0, 0.0 })]
    [InlineData(new[] { 2.0, -1.0 }, 0.0, new[] { 1.0 / 3.0, 2.0 / 3.0 })]
    [InlineData(new[] { -1.0, 3.0, -1.0 }, 0.0, new[] { 0.375, 0.25, 0.375 })]
    [InlineData(new[] { 1e300, -1e300 }, 0.0, new[] { 0.5, 0.5 })]
    [InlineData(new[] { double.MaxValue, -double.MaxValue, double.MaxValue }, 0.0, new[] { 0.25, 0.5, 0.25 })]
    [InlineData(new[] { 5.0 }, 5.0, new[] { 1.0 })]
    [InlineData(new[] { -5.0 }, -5.0, new[] { 1.0 })]
    [InlineData(new[] { 0.0 }, 0.0, new[] { 1.0 })]
    [InlineData(new[] { 1.0, 1.0, 2.0 }, 1.0, new[] { 0.5, 0.5, 0.0 })]
    [InlineData(new[] { -1.0, 0.0, -0.0, 2.0 }, 0.0, new[] { 0.0, 0.5, 0.5, 0.0 })]
    [InlineData(new[] { 4.9406564584124654E-324, -9.8813129168249309E-324 }, 0.0, new[] { 2.0 / 3.0, 1.0 / 3.0 })]
    [InlineData(new[] { 7.0, 7.0, 7.0, 7.0 }, 7.0, new[] { 0.25, 0.25, 0.25, 0.25 })]
    public void AnalyticCases(double[] statistics, double expectedValue, double[] expectedWeights)
    {
        var solution = PamaSolver.Solve(statistics);

        Assert.Equal(expectedValue, solution.Value);
        Assert.Equal(expectedWeights.Length, solution.ObjectiveCount);
        for (int i = 0; i < expectedWeights.Length; i++)
        {
            Assert.Equal(expectedWeights[i], solution.Weights[i], 15);
        }
    }

    [Fact]
    public void OptimalValueMatchesPairEnumerationOnRandomInputs()
    {
        var generator = new StatisticsGenerator(seed: 1);
        for (int k = 0; k < RandomCases; k++)
        {
            double[] a = generator.Next();
            var weights = new double[a.Length];

            double value = PamaSolver.Solve(a, weights);

            double expected = BruteForcePama.OptimalValue(a);
            Assert.True(expected == value, $"case {k}: s* = {value:R}, brute force {expected:R} for [{string.Join(", ", a)}]");
            Assert.Equal(expected, PamaSolver.OptimalValue(a));
        }
    }

    [Fact]
    public void WeightsSatisfyTheoremOneInvariantsOnRandomInputs()
    {
        var generator = new StatisticsGenerator(seed: 2);
        for (int k = 0; k < RandomCases; k++)
        {
            double[] a = generator.Next();
            var weights = new double[a.Length];
            double value = PamaSolver.Solve(a, weights);
            WeightInvariants.AssertOptimal(a, value, weights, $"case {k}");
        }
    }

    [Fact]
    public void NoGridPointOfTheSimplexBeatsTheSolutionForSmallN()
    {
        var generator = new StatisticsGenerator(seed: 3);
        var random = new Random(3);
        for (int k = 0; k < 600; k++)
        {
            int n = random.Next(1, 4);
            double[] a = new double[n];
            for (int i = 0; i < n; i++)
            {
                a[i] = random.Next(4) == 0 ? 0.0 : Math.Round((random.NextDouble() * 4.0) - 2.0, random.Next(1, 4));
            }

            var solution = PamaSolver.Solve(a);

            double gridMinimum = BruteForcePama.GridMinimumOfSquare(a, steps: 120);
            double square = solution.Value * solution.Value;
            Assert.True(square <= gridMinimum + 1e-15, $"case {k}: s*² = {square:R} > grid minimum {gridMinimum:R}");

            // And the grid gets close to s*: the grid point nearest the optimum is within 1/120 in each coordinate.
            double scale = a.Max(Math.Abs);
            Assert.True(gridMinimum <= square + (2.0 * scale * scale / 120.0) + 1e-15, $"case {k}: grid {gridMinimum:R} far above s*² {square:R}");
        }
    }

    [Fact]
    public void SolutionObjectMatchesSpanOverload()
    {
        var generator = new StatisticsGenerator(seed: 4);
        for (int k = 0; k < 2_000; k++)
        {
            double[] a = generator.Next();
            var weights = new double[a.Length];
            double value = PamaSolver.Solve(a, weights);

            var solution = PamaSolver.Solve(a);

            Assert.Equal(value, solution.Value);
            Assert.Equal(weights, solution.Weights);
            Assert.Equal(value == 0.0, solution.IsParetoStationary);
        }
    }
}
