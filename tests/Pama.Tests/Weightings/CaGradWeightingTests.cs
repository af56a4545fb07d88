using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>CAGrad: c = 0 is the mean, strong duality certifies the solve, a brute-force 1-D dual for n = 2, and the worked example.</summary>
public sealed class CaGradWeightingTests
{
    [Fact]
    public void ZeroRadiusIsTheMean()
    {
        foreach (var @case in GramianCases.Generate(seed: 60, perCount: 5))
        {
            var w = new double[@case.Count];
            new CaGradWeighting(c: 0.0).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            Assert.All(w, x => Assert.Equal(1.0 / @case.Count, x, 15));
        }
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void PrimalDirectionAttainsTheDualValue(double c)
    {
        // d = Σ wᵢ∇Lᵢ (unrescaled) must lie in the ball ‖d − g₀‖ ≤ c‖g₀‖ and reach minᵢ ∇Lᵢ·d = F(w*), the dual
        // optimum: weak duality then proves both optimal.
        foreach (var @case in GramianCases.Generate(seed: 61, perCount: 12))
        {
            int n = @case.Count;
            var w = new double[n];
            double value = new CaGradWeighting(c, rescale: false).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            var d = @case.Combine(w);
            var mean = @case.Combine(Enumerable.Repeat(1.0 / n, n).ToArray());
            double meanNorm = Math.Sqrt(mean.Sum(x => x * x));
            double scale = Enumerable.Range(0, n).Max(i => @case.Gramian[i, i]);
            if (w.All(x => x == 0.0))
            {
                // Pareto-stationary: 0 in the hull, so the dual optimum is ≤ 0·g₀ + 0 and no d improves every objective.
                Assert.True(MgdaWeighting.Solve(@case.Gramian, new double[n]).Value <= 1e-12 * scale, @case.Label);
                continue;
            }

            double radius = Math.Sqrt(d.Zip(mean, (a, b) => (a - b) * (a - b)).Sum());
            // ‖g_w*‖ is known to relative accuracy ε·maxᵢGᵢᵢ/‖g_w*‖², about 1e-8 for the smallest ones drawn here.
            Assert.True(radius <= (c * meanNorm * (1.0 + 1e-7)) + (1e-9 * Math.Sqrt(scale)), $"{@case.Label}: ‖d − g₀‖ = {radius:R} > {c * meanNorm:R}");
            double worst = @case.Gradients.Min(g => g.Zip(d, (a, b) => a * b).Sum());
            Assert.True(Math.Abs(worst - value) <= 1e-8 * scale, $"{@case.Label}: primal {worst:R} vs dual {value:R}");
        }
    }

    [Fact]
    public void TwoObjectivesMatchABruteForceDual()
    {
        foreach (var @case in GramianCases.Generate(seed: 62, perCount: 100).Where(c => c.Count == 2))
        {
            var g = @case.Gramian;
            const double c = 0.5;
            double meanNorm = Math.Sqrt((g[0, 0] + (2 * g[0, 1]) + g[1, 1]) / 4);
            double F(double x)
            {
                double gw0 = (x * g[0, 0]) + ((1 - x) * g[0, 1]);
                double gw1 = (x * g[0, 1]) + ((1 - x) * g[1, 1]);
                double norm = Math.Sqrt(Math.Max((x * gw0) + ((1 - x) * gw1), 0.0));
                return (0.5 * (gw0 + gw1)) + (c * meanNorm * norm);
            }

            // Golden-section search on the convex F over [0, 1].
            double lo = 0.0, hi = 1.0, phi = (Math.Sqrt(5) - 1) / 2;
            for (int k = 0; k < 200; k++)
            {
                double a = hi - (phi * (hi - lo)), b = lo + (phi * (hi - lo));
                if (F(a) <= F(b))
                {
                    hi = b;
                }
                else
                {
                    lo = a;
                }
            }

            double best = F(0.5 * (lo + hi));
            var w = new double[2];
            double value = new CaGradWeighting(c).ComputeWeights(WeightingInput.FromGramian(g), w);
            double scale = Math.Max(g[0, 0], g[1, 1]);
            Assert.True(Math.Abs(value - best) <= 1e-9 * scale, $"{@case.Label}: {value:R} vs brute force {best:R}");
        }
    }

    [Fact]
    public void TorchJdDocumentationExample()
    {
        // TorchJD (no rescaling, cvxpy/Clarabel, float32) prints [0.1835, 1.2041, 1.2041] for c = 0.5.
        var gradients = GramianCases.TorchJdExample;
        var g = GramianCases.Naive(gradients);
        var w = new double[2];
        new CaGradWeighting(0.5, rescale: false).ComputeWeights(WeightingInput.FromGramian(g), w);
        var d = new GramianCases.Case(gradients, g, "example").Combine(w);
        Assert.Equal(0.1835, d[0], 0.0005);
        Assert.Equal(1.2041, d[1], 0.0005);

        var rescaled = new double[2];
        new CaGradWeighting(0.5).ComputeWeights(WeightingInput.FromGramian(g), rescaled);
        Assert.Equal(w[0] / 1.25, rescaled[0], 14);
        Assert.Equal(w[1] / 1.25, rescaled[1], 14);
    }

    [Fact]
    public void NegativeRadiusIsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new CaGradWeighting(-0.1));
        Assert.Equal("c", error.ParamName);
    }
}
