namespace Pama.Tests.Reference;

/// <summary>
/// Independent reference for min over the simplex of |Σ cᵢ aᵢ| by enumerating all pairs (i, j):
/// every point of the simplex gives a value in the hull of {aᵢ}, and each hull value is a mix of one
/// pair, so the optimum over pairs is the optimum. For a pair the best mix is 0 if the signs differ
/// (or one is zero), else the endpoint of smaller magnitude.
/// </summary>
internal static class BruteForcePama
{
    /// <summary>The signed optimal value Σ cᵢ aᵢ (unique: the attainable set is an interval).</summary>
    public static double OptimalValue(IReadOnlyList<double> a)
    {
        double best = double.PositiveInfinity;
        double bestValue = double.NaN;
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = i; j < a.Count; j++)
            {
                double pairValue = Math.Sign(a[i]) * Math.Sign(a[j]) <= 0
                    ? 0.0
                    : Math.Abs(a[i]) <= Math.Abs(a[j]) ? a[i] : a[j];
                if (Math.Abs(pairValue) < best)
                {
                    best = Math.Abs(pairValue);
                    bestValue = pairValue;
                }
            }
        }

        return bestValue;
    }

    /// <summary>Minimum of (Σ cᵢ aᵢ)² over a grid on the simplex with the given resolution (n ≤ 3).</summary>
    public static double GridMinimumOfSquare(IReadOnlyList<double> a, int steps)
    {
        double best = double.PositiveInfinity;
        int n = a.Count;
        for (int i = 0; i <= steps; i++)
        {
            for (int j = 0; j <= (n >= 2 ? steps - i : 0); j++)
            {
                double c0 = (double)i / steps;
                double c1 = (double)j / steps;
                double c2 = 1.0 - c0 - c1;
                double[] c = n switch
                {
                    1 => [1.0],
                    2 => [c0, 1.0 - c0],
                    _ => [c0, c1, c2],
                };
                if (n == 2 && j > 0)
                {
                    continue;
                }

                double s = 0.0;
                for (int k = 0; k < n; k++)
                {
                    s += c[k] * a[k];
                }

                best = Math.Min(best, s * s);
            }
        }

        return best;
    }
}
