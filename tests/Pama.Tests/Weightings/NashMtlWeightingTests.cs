using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Nash-MTL: (Gα)ᵢ = 1/αᵢ, the two-task closed form, and the authors' scaled and clipped example.</summary>
public sealed class NashMtlWeightingTests
{
    [Fact]
    public void WeightsSolveTheBargainingEquations()
    {
        int solved = 0;
        foreach (var @case in GramianCases.Generate(seed: 70, perCount: 40))
        {
            int n = @case.Count;
            var alpha = new double[n];
            double value = new NashMtlWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), alpha);
            double scale = Enumerable.Range(0, n).Max(i => @case.Gramian[i, i]);
            if (alpha.All(x => x == 0.0))
            {
                // No solution exists exactly when 0 is in the convex hull of the gradients (f is unbounded below).
                Assert.True(double.IsNaN(value));
                Assert.True(MgdaWeighting.Solve(@case.Gramian, new double[n]).Value <= 1e-10 * scale, $"{@case.Label}: zero weights away from stationarity");
                continue;
            }

            // Rounding: (Gα)ᵢ sums terms up to Σⱼ|Gᵢⱼ|αⱼ that cancel near stationarity, so allow ε times that
            // (relative to (Gα)ᵢ = 1/αᵢ) on top of 1e-9.
            var g = GramianCases.Times(@case.Gramian, alpha);
            for (int i = 0; i < n; i++)
            {
                Assert.True(alpha[i] > 0.0, $"{@case.Label}: α[{i}] = {alpha[i]:R}");
                double magnitude = Enumerable.Range(0, n).Sum(j => Math.Abs(@case.Gramian[i, j]) * alpha[j]) * alpha[i];
                Assert.True(Math.Abs((g[i] * alpha[i]) - 1.0) <= 1e-9 + (1e-13 * magnitude), $"{@case.Label}: (Gα)[{i}]·α[{i}] = {g[i] * alpha[i]:R}");
            }

            Assert.Equal((0.5 * n) - alpha.Sum(Math.Log), value, 9);
            solved++;
        }

        Assert.True(solved > 150, $"{solved} solved");
    }

    [Fact]
    public void TwoTasksMatchTheClosedForm()
    {
        // α₁(G₁₁α₁ + G₁₂α₂) = 1 = α₂(G₁₂α₁ + G₂₂α₂) gives (α₂/α₁)² = G₁₁/G₂₂, so r = ‖g₁‖/‖g₂‖ and
        // α₁ = 1/√(G₁₁ + G₁₂ r), α₂ = r α₁.
        foreach (var @case in GramianCases.Generate(seed: 71, perCount: 100, GramianCases.Allow.None).Where(c => c.Count == 2))
        {
            var g = @case.Gramian;
            double r = Math.Sqrt(g[0, 0] / g[1, 1]);
            if (g[0, 0] + (g[0, 1] * r) <= 1e-9 * g[0, 0])
            {
                continue; // opposite directions: 0 is in the hull and no solution exists
            }

            double a1 = 1.0 / Math.Sqrt(g[0, 0] + (g[0, 1] * r));
            var alpha = new double[2];
            new NashMtlWeighting().ComputeWeights(WeightingInput.FromGramian(g), alpha);
            // Relative tolerance 1e-9, widened by the cancellation G₁₁ + G₁₂r of nearly opposite gradients.
            double condition = g[0, 0] / (g[0, 0] + (g[0, 1] * r));
            Assert.True(Math.Abs(alpha[0] - a1) <= (1e-9 + (1e-15 * condition)) * a1, $"{@case.Label}: {alpha[0]:R} vs {a1:R}");
            Assert.True(Math.Abs(alpha[1] - (r * a1)) <= (1e-9 + (1e-15 * condition)) * r * a1, $"{@case.Label}: {alpha[1]:R} vs {r * a1:R}");
        }
    }

    [Fact]
    public void AuthorsClippedExample()
    {
        // TorchJD (after the authors' code: G / ‖G‖_F, then ‖d‖ clipped to max_norm = 1) prints [0.0542, 0.7061, 0.7061].
        // Exact: r = √(18/38), α₁ = 1/√(18 − 22r); ‖d‖² = αᵀGα = Σᵢ αᵢ(Gα)ᵢ = 2, so clipping ‖d‖ to 1 divides α by √2.
        var gradients = GramianCases.TorchJdExample;
        var g = GramianCases.Naive(gradients);
        var alpha = new double[2];
        new NashMtlWeighting(maxNorm: 1.0).ComputeWeights(WeightingInput.FromGramian(g), alpha);
        double r = Math.Sqrt(18.0 / 38.0);
        double a1 = 1.0 / Math.Sqrt(18.0 - (22.0 * r));
        Assert.Equal(a1 / Math.Sqrt(2.0), alpha[0], 12);
        Assert.Equal(r * a1 / Math.Sqrt(2.0), alpha[1], 12);
        var d = new GramianCases.Case(gradients, g, "example").Combine(alpha);
        Assert.Equal(0.0542, d[0], 0.0001);
        Assert.Equal(0.7061, d[1], 0.0001);
    }

    [Fact]
    public void OppositeGradientsHaveNoSolution()
    {
        var g = GramianCases.Naive([[1.0, 2.0], [-3.0, -6.0]]);
        var alpha = new double[2];
        Assert.True(double.IsNaN(new NashMtlWeighting().ComputeWeights(WeightingInput.FromGramian(g), alpha)));
        Assert.Equal([0.0, 0.0], alpha);
    }
}
