using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>MGDA weights against the analytic two-objective answer and an exact QP for n ≤ 6.</summary>
public sealed class MgdaWeightingTests
{
    private static double[][] RandomGradients(Random random, int n, int d)
    {
        var gradients = new double[n][];
        for (int i = 0; i < n; i++)
        {
            double scale = Math.Pow(10.0, random.Next(-2, 3));
            gradients[i] = Enumerable.Range(0, d).Select(_ => (random.NextDouble() - 0.5) * scale).ToArray();
        }

        // Degenerate cases: a repeated gradient, a zero gradient, an exact negative.
        int kind = random.Next(6);
        if (n >= 2 && kind == 0)
        {
            gradients[1] = (double[])gradients[0].Clone();
        }
        else if (kind == 1)
        {
            gradients[random.Next(n)] = new double[d];
        }
        else if (n >= 2 && kind == 2)
        {
            gradients[1] = gradients[0].Select(x => -x).ToArray();
        }

        return gradients;
    }

    private static void AssertSimplex(ReadOnlySpan<double> c, string label)
    {
        double sum = 0.0;
        foreach (double x in c)
        {
            Assert.True(x >= 0.0 && double.IsFinite(x), $"{label}: weight {x:R}");
            sum += x;
        }

        Assert.True(Math.Abs(sum - 1.0) <= 1e-12, $"{label}: sum {sum:R}");
    }

    [Fact]
    public void HandExamples()
    {
        var c = new double[2];
        MgdaWeighting.Solve(MgdaWeighting.Gramian([[1.0, 0.0], [0.0, 1.0]]), c);
        Assert.Equal([0.5, 0.5], c);

        var result = MgdaWeighting.Solve(MgdaWeighting.Gramian([[1.0, 0.0], [2.0, 0.0]]), c);
        Assert.Equal([1.0, 0.0], c);
        Assert.Equal(1.0, result.Value, 14);

        result = MgdaWeighting.Solve(MgdaWeighting.Gramian([[3.0, 1.0], [-3.0, -1.0]]), c);
        Assert.Equal([0.5, 0.5], c);
        Assert.Equal(0.0, result.Value, 14);

        // Identical gradients: degenerate denominator, split evenly.
        MgdaWeighting.Solve(MgdaWeighting.Gramian([[1.0, 2.0], [1.0, 2.0]]), c);
        Assert.Equal([0.5, 0.5], c);

        // Three orthonormal gradients: the centroid, norm² 1/3.
        var three = new double[3];
        result = MgdaWeighting.Solve(Matrix<double>.Build.DenseIdentity(3), three);
        Assert.All(three, x => Assert.Equal(1.0 / 3.0, x, 10));
        Assert.Equal(1.0 / 3.0, result.Value, 10);
        Assert.True(result.Converged);

        var one = new double[1];
        Assert.Equal(4.0, MgdaWeighting.Solve(Matrix<double>.Build.Dense(1, 1, 4.0), one).Value);
        Assert.Equal(1.0, one[0]);

        var zero = new double[4];
        Assert.Equal(0.0, MgdaWeighting.Solve(Matrix<double>.Build.Dense(4, 4), zero).Value);
        Assert.All(zero, x => Assert.Equal(0.25, x));
    }

    [Fact]
    public void TwoObjectivesMatchTheAnalyticMinNormPoint()
    {
        var random = new Random(41);
        var c = new double[2];
        for (int k = 0; k < 3_000; k++)
        {
            var gradients = RandomGradients(random, 2, random.Next(1, 12));
            double[] g1 = gradients[0];
            double[] g2 = gradients[1];

            var result = MgdaWeighting.Solve(MgdaWeighting.Gramian(gradients), c);

            // Minimise ‖c g1 + (1 − c) g2‖² over c ∈ [0, 1] directly on the vectors.
            double[] diff = g1.Zip(g2, (a, b) => a - b).ToArray();
            double denominator = diff.Sum(x => x * x);
            double numerator = -diff.Zip(g2, (a, b) => a * b).Sum();
            double expected = denominator == 0.0 ? 0.5 : Math.Clamp(numerator / denominator, 0.0, 1.0);
            double[] combined = g1.Zip(g2, (a, b) => (expected * a) + ((1.0 - expected) * b)).ToArray();
            double expectedValue = combined.Sum(x => x * x);
            double scale = Math.Max(g1.Sum(x => x * x), g2.Sum(x => x * x));

            AssertSimplex(c, $"case {k}");
            Assert.True(Math.Abs(result.Value - expectedValue) <= 1e-12 * Math.Max(scale, 1e-300), $"case {k}: value {result.Value:R} vs {expectedValue:R}");
            if (denominator > 1e-6 * scale)
            {
                Assert.True(Math.Abs(c[0] - expected) <= 1e-9, $"case {k}: c1 = {c[0]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void UpToSixObjectivesMatchExactQuadraticProgram()
    {
        var random = new Random(42);
        for (int k = 0; k < 1_500; k++)
        {
            int n = random.Next(3, 7);
            int d = random.Next(1, 9);
            var gradients = RandomGradients(random, n, d);
            var gramian = GramianCases.Naive(gradients);
            var c = new double[n];

            var result = MgdaWeighting.Solve(gramian, c);

            double exact = ExactSimplexQp.MinimumValue(gramian);
            double scale = gramian.Diagonal().Maximum();
            double actual = ExactSimplexQp.Quadratic(gramian, c);
            AssertSimplex(c, $"case {k}");
            Assert.True(result.Converged, $"case {k}: not converged after {result.Iterations} iterations");
            Assert.True(Math.Abs(actual - exact) <= 1e-9 * scale, $"case {k} (n={n}, d={d}): cᵀGc = {actual:R}, exact {exact:R}");
            Assert.True(Math.Abs(result.Value - actual) <= 1e-12 * scale, $"case {k}: reported {result.Value:R}, recomputed {actual:R}");
            Assert.True(result.Gap <= 1e-11 * scale, $"case {k}: gap {result.Gap:R}");
        }
    }

    [Fact]
    public void ManyObjectivesMeetTheOptimalityCertificate()
    {
        // For convex f(c) = cᵀGc on the simplex, f(c) − f* ≤ 2(cᵀGc − minᵢ (Gc)ᵢ): a small gap, recomputed
        // here from G, certifies optimality where enumeration is too expensive.
        var random = new Random(45);
        for (int k = 0; k < 300; k++)
        {
            int n = random.Next(7, 25);
            int d = random.Next(1, 40);
            var gradients = RandomGradients(random, n, d);
            var gramian = GramianCases.Naive(gradients);
            var c = new double[n];

            var result = MgdaWeighting.Solve(gramian, c);

            var gc = gramian * Vector<double>.Build.DenseOfArray(c);
            double value = ExactSimplexQp.Quadratic(gramian, c);
            double scale = gramian.Diagonal().Maximum();
            AssertSimplex(c, $"case {k}");
            Assert.True(result.Converged, $"case {k} (n={n}, d={d}): not converged after {result.Iterations} iterations");
            Assert.True(value - gc.Minimum() <= 1e-10 * scale, $"case {k} (n={n}, d={d}): gap {value - gc.Minimum():R}, scale {scale:R}");
        }
    }

    [Fact]
    public void WeightingInterfaceUsesTheGramian()
    {
        var gramian = Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, 0.5, 0.1 }, { 0.5, 1.0, 0.2 }, { 0.1, 0.2, 3.0 } });
        var direct = new double[3];
        MgdaWeighting.Solve(gramian, direct);
        var viaInterface = new double[3];
        IWeighting weighting = new MgdaWeighting();

        weighting.ComputeWeights(WeightingInput.FromGramian(gramian), viaInterface);

        Assert.Equal(direct, viaInterface);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromStatistics(new double[3]), viaInterface)).ParamName);
    }

    [Fact]
    public void GramianMatchesNaiveDotProducts()
    {
        var random = new Random(43);
        foreach (int d in new[] { 1, 3, 4, 15, 16, 17, 511, 512, 513, 1500, 4099 })
        {
            int n = random.Next(1, 6);
            var gradients = RandomGradients(random, n, d);
            var rowMajor = gradients.SelectMany(g => g).ToArray();

            var fromSpan = MgdaWeighting.Gramian(rowMajor, n);
            var fromJagged = MgdaWeighting.Gramian(gradients);

            var expected = GramianCases.Naive(gradients);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double tolerance = 1e-13 * Math.Sqrt(expected[i, i] * expected[j, j]) * Math.Sqrt(d);
                    Assert.True(Math.Abs(fromSpan[i, j] - expected[i, j]) <= tolerance, $"d={d} ({i},{j}): {fromSpan[i, j]:R} vs {expected[i, j]:R}");
                    Assert.Equal(fromSpan[i, j], fromJagged[i, j]);
                    Assert.Equal(fromSpan[i, j], fromSpan[j, i]);
                }
            }
        }
    }

    [Fact]
    public void GramianValidationNamesObjectiveAndCoordinate()
    {
        var rowMajor = new double[3 * 1000];
        rowMajor[1000 + 700] = double.NaN;
        var error = Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian(rowMajor, 3));
        Assert.Equal("gradientsRowMajor", error.ParamName);
        Assert.StartsWith("The gradient of objective 1 is NaN at coordinate 700.", error.Message);

        var jagged = new[] { new double[5], new double[5] };
        jagged[1][4] = double.NegativeInfinity;
        var jaggedError = Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian(jagged));
        Assert.Equal("gradients", jaggedError.ParamName);
        Assert.StartsWith("The gradient of objective 1 is negative infinity at coordinate 4.", jaggedError.Message);

        Assert.Contains("overflows", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian([1e200, 1e200], 1)).Message);
        Assert.Equal("gradientsRowMajor", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian(new double[7], 2)).ParamName);
        Assert.Equal("gradientsRowMajor", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian([], 2)).ParamName);
        Assert.Equal("objectiveCount", Assert.Throws<ArgumentOutOfRangeException>(() => MgdaWeighting.Gramian(new double[4], 0)).ParamName);
        Assert.StartsWith("The gradient of objective 1 has length 3", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian([new double[2], new double[3]])).Message);
        Assert.StartsWith("The gradient of objective 1 is null", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian([new double[2], null!])).Message);
        Assert.Equal("gradients", Assert.Throws<ArgumentException>(() => MgdaWeighting.Gramian(Array.Empty<double[]>())).ParamName);
    }

    [Fact]
    public void SolveValidationNamesTheEntry()
    {
        var weights = new double[3];
        Matrix<double> Valid() => Matrix<double>.Build.DenseOfArray(new[,] { { 2.0, 0.5, 0.1 }, { 0.5, 1.0, 0.2 }, { 0.1, 0.2, 3.0 } });

        var nan = Valid();
        nan[2, 1] = double.NaN;
        var error = Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(nan, weights));
        Assert.Equal("gramian", error.ParamName);
        Assert.StartsWith("Gramian entry (2, 1) is NaN.", error.Message);

        var asymmetric = Valid();
        asymmetric[0, 2] = 0.3;
        Assert.StartsWith("The Gramian is not symmetric: entry (0, 2)", Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(asymmetric, weights)).Message);

        var negative = Valid();
        negative[1, 1] = -1.0;
        Assert.StartsWith("Gramian diagonal entry (1, 1) is negative", Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(negative, weights)).Message);

        var notPsd = Valid();
        notPsd[0, 1] = notPsd[1, 0] = 5.0;
        Assert.StartsWith("Gramian entry (0, 1) = 5 exceeds", Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(notPsd, weights)).Message);

        Assert.Equal("gramian", Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(Matrix<double>.Build.Dense(3, 2), weights)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => MgdaWeighting.Solve(Valid(), new double[2])).ParamName);
        Assert.Throws<ArgumentNullException>(() => MgdaWeighting.Solve(null!, weights));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MgdaOptions { Tolerance = -1.0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new MgdaOptions { MaxIterations = 0 });
    }

    [Fact]
    public void IterationCapIsReported()
    {
        // Six orthonormal gradients: the optimum is the centroid, one iteration only reaches a two-point mix.
        var weights = new double[6];

        var result = MgdaWeighting.Solve(Matrix<double>.Build.DenseIdentity(6), weights, new MgdaOptions { MaxIterations = 1, Tolerance = 0.0 });

        Assert.Equal(1, result.Iterations);
        Assert.False(result.Converged);
        AssertSimplex(weights, "capped");
        Assert.Equal(0.5, result.Value, 14);
        Assert.Equal(0.5, result.Gap, 14);
    }
}
