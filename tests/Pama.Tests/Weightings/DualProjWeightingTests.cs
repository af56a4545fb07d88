using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>DualProj: non-conflicting, optimal by its KKT conditions, and the worked example.</summary>
public sealed class DualProjWeightingTests
{
    [Fact]
    public void ProjectionIsNonConflictingAndOptimal()
    {
        foreach (var @case in GramianCases.Generate(seed: 30, perCount: 40))
        {
            int n = @case.Count;
            var w = new double[n];
            double value = new DualProjWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            UpgradWeightingTests.AssertNonConflicting(@case, w);
            var gw = GramianCases.Times(@case.Gramian, w);
            double unit = @case.Gramian.Trace() * w.Max(Math.Abs);
            for (int i = 0; i < n; i++)
            {
                Assert.True(w[i] >= (1.0 / n) - 1e-12, $"{@case.Label}: w[{i}] = {w[i]:R}");
                Assert.True(Math.Abs((w[i] - (1.0 / n)) * gw[i]) <= 1e-10 * unit * Math.Max(1.0, w[i]), $"{@case.Label}: complementarity {i}");
            }

            double norm = @case.Combine(w).Sum(x => x * x);
            Assert.True(Math.Abs(value - norm) <= 1e-12 * @case.Gramian.Trace() * Math.Pow(w.Sum(Math.Abs), 2), $"{@case.Label}: value {value:R} vs ‖d‖² {norm:R}");
        }
    }

    [Fact]
    public void TorchJdDocumentationExample()
    {
        // G = [[18, −22], [−22, 38]], u = (½, ½): Gu = (−2, 8), so objective 1 is active: 18(½ + λ) − 11 = 0,
        // λ = 1/9, w = (11/18, ½), and (Gw)₂ = −242/18 + 19 > 0.
        var gradients = GramianCases.TorchJdExample;
        var w = new double[2];
        new DualProjWeighting().ComputeWeights(WeightingInput.FromGramian(GramianCases.Naive(gradients)), w);
        Assert.Equal(11.0 / 18.0, w[0], 12);
        Assert.Equal(0.5, w[1], 12);

        // TorchJD prints [0.5563, 1.1109, 1.1109] (float32, with a 1e-4 ridge).
        var d = new GramianCases.Case(gradients, GramianCases.Naive(gradients), "example").Combine(w);
        Assert.Equal(0.5563, d[0], 0.002);
        Assert.Equal(1.1109, d[1], 0.002);
    }

    [Fact]
    public void PreferencesAreTheLowerBound()
    {
        var g = Matrix<double>.Build.DenseOfArray(new double[,] { { 1, 0 }, { 0, 1 } });
        var w = new double[2];
        new DualProjWeighting([0.25, 0.75]).ComputeWeights(WeightingInput.FromGramian(g), w);
        Assert.Equal([0.25, 0.75], w);
    }
}
