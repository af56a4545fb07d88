using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>IMTL-G: equal projections of d on every unit gradient, weights summing to 1, and the worked example.</summary>
public sealed class ImtlGWeightingTests
{
    [Fact]
    public void ProjectionsOnTheUnitGradientsAreEqual()
    {
        int checkedCases = 0;
        foreach (var @case in GramianCases.Generate(seed: 50, perCount: 40, GramianCases.Allow.Opposite))
        {
            // Equal projections exist when s = (‖∇Lᵢ‖)ᵢ is in the range of G: always for independent gradients
            // (d ≥ n) and for a repeated gradient; skip the draws where s is outside the range (rank-deficient, opposite).
            var s = Vector<double>.Build.Dense(@case.Count, i => Math.Sqrt(@case.Gramian[i, i]));
            if (((@case.Gramian * @case.Gramian.PseudoInverse() * s) - s).L2Norm() > 1e-6 * s.L2Norm())
            {
                continue;
            }

            var w = new double[@case.Count];
            new ImtlGWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            Assert.Equal(1.0, w.Sum(), 9);
            var d = @case.Combine(w);
            var projections = @case.Gradients
                .Select(g => g.Zip(d, (a, b) => a * b).Sum() / Math.Sqrt(g.Sum(x => x * x)))
                .ToArray();
            // Backward error of the solve: the residual of Gv = s is at most about ε·‖G‖·‖w‖₁, so each projection
            // (Gw)ᵢ/‖∇Lᵢ‖ carries that divided by ‖∇Lᵢ‖ (ill-conditioned draws have a large ‖w‖₁).
            double scale = Math.Sqrt(d.Sum(x => x * x));
            double backward = 1e-12 * Enumerable.Range(0, @case.Count).Max(i => @case.Gramian[i, i]) * w.Sum(Math.Abs);
            for (int i = 0; i < @case.Count; i++)
            {
                double projection = projections[i];
                double tolerance = (1e-9 * scale) + (backward / Math.Sqrt(@case.Gramian[i, i])) + (backward / Math.Sqrt(@case.Gramian[0, 0]));
                Assert.True(Math.Abs(projection - projections[0]) <= tolerance, $"{@case.Label}: {projection:R} vs {projections[0]:R}");
            }

            checkedCases++;
        }

        Assert.True(checkedCases > 150, $"{checkedCases} cases");
    }

    [Fact]
    public void TorchJdDocumentationExample()
    {
        // G = [[18, −22], [−22, 38]], det 200, G⁻¹ = [[38, 22], [22, 18]] / 200, s = (√18, √38), w = G⁻¹s / Σ.
        double v1 = (38.0 * Math.Sqrt(18.0)) + (22.0 * Math.Sqrt(38.0));
        double v2 = (22.0 * Math.Sqrt(18.0)) + (18.0 * Math.Sqrt(38.0));
        var gradients = GramianCases.TorchJdExample;
        var w = new double[2];
        new ImtlGWeighting().ComputeWeights(WeightingInput.FromGramian(GramianCases.Naive(gradients)), w);
        Assert.Equal(v1 / (v1 + v2), w[0], 12);
        Assert.Equal(v2 / (v1 + v2), w[1], 12);

        // TorchJD prints [0.0767, 1.0000, 1.0000].
        var d = new GramianCases.Case(gradients, GramianCases.Naive(gradients), "example").Combine(w);
        Assert.Equal(0.0767, d[0], 0.0001);
        Assert.Equal(1.0, d[1], 0.0001);
    }

    [Fact]
    public void ZeroGramianGivesZeroWeights()
    {
        var w = new double[3];
        new ImtlGWeighting().ComputeWeights(WeightingInput.FromGramian(MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(3, 3)), w);
        Assert.Equal([0.0, 0.0, 0.0], w);
    }
}
