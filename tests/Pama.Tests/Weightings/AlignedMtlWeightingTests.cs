using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Aligned-MTL: the aligned gradients have condition number 1 at G's smallest non-zero eigenvalue; orthogonal worked example.</summary>
public sealed class AlignedMtlWeightingTests
{
    [Fact]
    public void AlignedGramianHasEqualNonZeroEigenvalues()
    {
        foreach (var @case in GramianCases.Generate(seed: 80, perCount: 20))
        {
            int n = @case.Count;
            var g = @case.Gramian;

            // Column k of B is the weights for the one-hot preference eₖ.
            var b = Matrix<double>.Build.Dense(n, n);
            for (int k = 0; k < n; k++)
            {
                var p = new double[n];
                p[k] = 1.0;
                var w = new double[n];
                new AlignedMtlWeighting(p).ComputeWeights(WeightingInput.FromGramian(g), w);
                b.SetColumn(k, w);
            }

            var eigenvalues = g.Evd(Symmetricity.Symmetric).EigenValues.Select(x => x.Real).ToArray();
            double largest = eigenvalues.Max();
            if (largest == 0.0)
            {
                continue;
            }

            double cutoff = n * 2.220446049250313e-16 * largest;
            var positive = eigenvalues.Where(x => x > cutoff).ToArray();
            double smallest = positive.Min();
            var aligned = (b.Transpose() * g * b).Evd(Symmetricity.Symmetric).EigenValues.Select(x => x.Real).OrderByDescending(x => x).ToArray();
            for (int k = 0; k < n; k++)
            {
                double expected = k < positive.Length ? smallest : 0.0;
                Assert.True(Math.Abs(aligned[k] - expected) <= 1e-7 * largest, $"{@case.Label}: aligned eigenvalue {k} = {aligned[k]:R}, expected {expected:R}");
            }
        }
    }

    [Fact]
    public void OrthogonalGradientsAreScaledToTheShortest()
    {
        // G = diag(‖g‖²): B = diag(min‖g‖ / ‖gᵢ‖), w = B p with p = 1/n.
        var g = Matrix<double>.Build.DenseOfDiagonalArray([4.0, 1.0, 9.0]);
        var w = new double[3];
        new AlignedMtlWeighting().ComputeWeights(WeightingInput.FromGramian(g), w);
        Assert.Equal(1.0 / 2.0 / 3.0, w[0], 14);
        Assert.Equal(1.0 / 3.0, w[1], 14);
        Assert.Equal(1.0 / 3.0 / 3.0, w[2], 14);
    }

    [Fact]
    public void TwoGradientsWorkedExample()
    {
        // G = [[18, −22], [−22, 38]]: eigenvalues 28 ± √(100 + 484) = 28 ± √584, eigenvectors computed by hand.
        var gradients = GramianCases.TorchJdExample;
        var g = GramianCases.Naive(gradients);
        double root = Math.Sqrt(584.0);
        double large = 28.0 + root, small = 28.0 - root;
        // Eigenvector of λ: (22, 18 − λ) normalised.
        static double[] Vector(double lambda)
        {
            double x = 22.0, y = 18.0 - lambda, norm = Math.Sqrt((x * x) + (y * y));
            return [x / norm, y / norm];
        }

        var vl = Vector(large);
        var vs = Vector(small);
        double f = Math.Sqrt(small / large);
        double[] expected =
        [
            0.5 * ((f * vl[0] * (vl[0] + vl[1])) + (vs[0] * (vs[0] + vs[1]))),
            0.5 * ((f * vl[1] * (vl[0] + vl[1])) + (vs[1] * (vs[0] + vs[1]))),
        ];
        var w = new double[2];
        new AlignedMtlWeighting().ComputeWeights(WeightingInput.FromGramian(g), w);
        Assert.Equal(expected[0], w[0], 12);
        Assert.Equal(expected[1], w[1], 12);
    }
}
