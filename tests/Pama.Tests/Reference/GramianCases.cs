using MathNet.Numerics.LinearAlgebra;

namespace Pama.Tests.Reference;

/// <summary>
/// Random gradient sets for the aggregator tests: n = 2..10 gradients in d dimensions, where d &lt; n gives
/// rank-deficient Gramians, with per-gradient scales over four decades and degenerate cases (a repeated
/// gradient, an exactly opposite one, a zero one, a nearly opposite pair).
/// </summary>
internal static class GramianCases
{
    /// <summary>One case: the gradients (row i = ∇Lᵢ) and their Gramian computed naively.</summary>
    public sealed record Case(double[][] Gradients, Matrix<double> Gramian, string Label)
    {
        public int Count => Gradients.Length;

        /// <summary>d = Σᵢ wᵢ ∇Lᵢ.</summary>
        public double[] Combine(IReadOnlyList<double> w)
        {
            var d = new double[Gradients[0].Length];
            for (int i = 0; i < Count; i++)
            {
                for (int k = 0; k < d.Length; k++)
                {
                    d[k] += w[i] * Gradients[i][k];
                }
            }

            return d;
        }
    }

    /// <summary>Kinds of degenerate case, chosen by <see cref="Random"/>.</summary>
    [Flags]
    public enum Allow
    {
        None = 0,
        Zero = 1,
        Opposite = 2,
    }

    public static IEnumerable<Case> Generate(int seed, int perCount, Allow allow = Allow.Zero | Allow.Opposite)
    {
        var random = new Random(seed);
        for (int n = 2; n <= 10; n++)
        {
            for (int repeat = 0; repeat < perCount; repeat++)
            {
                int d = random.Next(3) == 0 ? random.Next(1, n) : random.Next(n, n + 4);
                var gradients = new double[n][];
                for (int i = 0; i < n; i++)
                {
                    double scale = Math.Pow(10.0, random.Next(-2, 3));
                    gradients[i] = Enumerable.Range(0, d).Select(_ => Normal(random) * scale).ToArray();
                }

                string label = $"n={n} d={d} repeat={repeat}";
                int kind = random.Next(8);
                if (kind == 0)
                {
                    gradients[1] = (double[])gradients[0].Clone();
                    label += " repeated";
                }
                else if (kind == 1 && allow.HasFlag(Allow.Zero))
                {
                    gradients[random.Next(n)] = new double[d];
                    label += " zero";
                }
                else if (kind == 2 && allow.HasFlag(Allow.Opposite))
                {
                    gradients[1] = gradients[0].Select(x => -2.0 * x).ToArray();
                    label += " opposite";
                }
                else if (kind == 3)
                {
                    gradients[1] = gradients[0].Select(x => (-x) + (1e-3 * Normal(random) * Math.Abs(x))).ToArray();
                    label += " nearly opposite";
                }

                yield return new Case(gradients, Naive(gradients), label);
            }
        }
    }

    public static Matrix<double> Naive(double[][] gradients)
    {
        int n = gradients.Length;
        var g = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0.0;
                for (int k = 0; k < gradients[i].Length; k++)
                {
                    sum += gradients[i][k] * gradients[j][k];
                }

                g[i, j] = sum;
            }
        }

        return g;
    }

    /// <summary>(Gw)ᵢ.</summary>
    public static double[] Times(Matrix<double> g, IReadOnlyList<double> w) =>
        Enumerable.Range(0, w.Count).Select(i => Enumerable.Range(0, w.Count).Sum(j => g[i, j] * w[j])).ToArray();

    /// <summary>The J = [[−4, 1, 1], [6, 1, 1]] example of TorchJD's documentation (G = [[18, −22], [−22, 38]]).</summary>
    public static double[][] TorchJdExample => [[-4.0, 1.0, 1.0], [6.0, 1.0, 1.0]];

    private static double Normal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}
