using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>UPGrad: non-conflicting on random gradient sets, each projection optimal by its KKT conditions, and the worked example.</summary>
public sealed class UpgradWeightingTests
{
    [Fact]
    public void CombinedDirectionConflictsWithNoGradient()
    {
        foreach (var @case in GramianCases.Generate(seed: 20, perCount: 40))
        {
            var w = new double[@case.Count];
            new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            AssertNonConflicting(@case, w);
        }
    }

    [Fact]
    public void EveryProjectionMeetsItsKktConditions()
    {
        // UPGrad with preference eₖ is the single projection argmin over v ≥ eₖ of vᵀGv; the KKT conditions
        // v ≥ eₖ, Gv ≥ 0, (v − eₖ)ᵢ(Gv)ᵢ = 0 are sufficient for this convex problem, so they certify optimality.
        foreach (var @case in GramianCases.Generate(seed: 21, perCount: 15))
        {
            int n = @case.Count;
            for (int k = 0; k < n; k++)
            {
                var p = new double[n];
                p[k] = 1.0;
                var v = new double[n];
                new UpgradWeighting(p).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), v);
                var gv = GramianCases.Times(@case.Gramian, v);
                double unit = @case.Gramian.Trace() * v.Max(Math.Abs);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(v[i] >= p[i] - 1e-12, $"{@case.Label} k={k}: v[{i}] = {v[i]:R} below {p[i]}");
                    Assert.True(gv[i] >= -1e-11 * unit, $"{@case.Label} k={k}: (Gv)[{i}] = {gv[i]:R}");
                    Assert.True(Math.Abs((v[i] - p[i]) * gv[i]) <= 1e-10 * unit * Math.Max(1.0, v[i]), $"{@case.Label} k={k}: complementarity {i}");
                }
            }
        }
    }

    [Fact]
    public void TorchJdDocumentationExample()
    {
        // J = [[−4, 1, 1], [6, 1, 1]], G = [[18, −22], [−22, 38]]. Projecting ½g₁: (G(½, λ))₂ = −11 + 38λ = 0, λ = 11/38,
        // and (G(½, 11/38))₁ = 9 − 242/38 > 0. Projecting ½g₂: 18μ − 11 = 0, μ = 11/18. So w = (½ + 11/18, ½ + 11/38).
        var gradients = GramianCases.TorchJdExample;
        var w = new double[2];
        double value = new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(GramianCases.Naive(gradients)), w);
        Assert.True(double.IsNaN(value));
        Assert.Equal(0.5 + (11.0 / 18.0), w[0], 12);
        Assert.Equal(0.5 + (11.0 / 38.0), w[1], 12);

        // TorchJD prints [0.2929, 1.9004, 1.9004] (float32, with a 1e-4 ridge on the trace-normalised G).
        var d = new GramianCases.Case(gradients, GramianCases.Naive(gradients), "example").Combine(w);
        Assert.Equal(0.2929, d[0], 0.002);
        Assert.Equal(1.9004, d[1], 0.002);
    }

    [Fact]
    public void NonConflictingGradientsKeepThePreferences()
    {
        var g = Matrix<double>.Build.DenseOfArray(new double[,] { { 4, 1, 0 }, { 1, 2, 0.5 }, { 0, 0.5, 1 } });
        var w = new double[3];
        new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(g), w);
        Assert.All(w, x => Assert.Equal(1.0 / 3.0, x, 14));
    }

    [Fact]
    public void WeightsDoNotDependOnTheScaleOfTheGramian()
    {
        foreach (var @case in GramianCases.Generate(seed: 22, perCount: 5))
        {
            var w = new double[@case.Count];
            var scaled = new double[@case.Count];
            new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian * 1024.0), scaled);
            for (int i = 0; i < w.Length; i++)
            {
                Assert.True(Math.Abs(w[i] - scaled[i]) <= 1e-9 * Math.Max(1.0, Math.Abs(w[i])), $"{@case.Label}: {i}");
            }
        }
    }

    internal static void AssertNonConflicting(GramianCases.Case @case, double[] w)
    {
        Assert.All(w, x => Assert.True(double.IsFinite(x), $"{@case.Label}: weight {x}"));
        var d = @case.Combine(w);
        double size = 0.0;
        for (int j = 0; j < @case.Count; j++)
        {
            size += Math.Abs(w[j]) * Math.Sqrt(@case.Gramian[j, j]);
        }

        for (int i = 0; i < @case.Count; i++)
        {
            double dot = @case.Gradients[i].Zip(d, (a, b) => a * b).Sum();
            double bound = 1e-9 * Math.Sqrt(@case.Gramian[i, i]) * size;
            Assert.True(dot >= -bound, $"{@case.Label}: ∇L{i}·d = {dot:R} (bound {bound:R})");
        }
    }
}
