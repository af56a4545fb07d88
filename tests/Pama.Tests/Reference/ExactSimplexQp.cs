using MathNet.Numerics.LinearAlgebra;

namespace Pama.Tests.Reference;

/// <summary>
/// Exact min over the simplex of cᵀGc for small n by active-set enumeration: for every support S solve
/// the KKT system G_SS c_S = λ·1, Σ c_S = 1. Every feasible (c ≥ 0) solution is a point of the simplex,
/// and for a Gramian the optimum has a support whose bordered system is non-singular (Carathéodory on
/// the min-norm point), so the least value among feasible candidates is the optimum (no candidate can be below it).
/// </summary>
internal static class ExactSimplexQp
{
    public static double MinimumValue(Matrix<double> g)
    {
        int n = g.RowCount;
        double best = double.PositiveInfinity;
        for (int subset = 1; subset < (1 << n); subset++)
        {
            int[] support = Enumerable.Range(0, n).Where(i => (subset & (1 << i)) != 0).ToArray();
            int m = support.Length;
            var system = Matrix<double>.Build.Dense(m + 1, m + 1);
            var rhs = Vector<double>.Build.Dense(m + 1);
            for (int a = 0; a < m; a++)
            {
                for (int b = 0; b < m; b++)
                {
                    system[a, b] = g[support[a], support[b]];
                }

                system[a, m] = -1.0;
                system[m, a] = 1.0;
            }

            rhs[m] = 1.0;
            // Singular systems (affinely dependent supports) give garbage or non-finite candidates; a garbage
            // candidate that happens to be feasible is still a point of the simplex, so it cannot undercut f*.
            var solution = system.QR().Solve(rhs);
            var c = new double[n];
            bool feasible = true;
            for (int a = 0; a < m; a++)
            {
                if (!double.IsFinite(solution[a]) || solution[a] < -1e-12)
                {
                    feasible = false;
                }

                c[support[a]] = Math.Max(solution[a], 0.0);
            }

            if (!feasible)
            {
                continue;
            }

            double sum = c.Sum();
            for (int i = 0; i < n; i++)
            {
                c[i] /= sum;
            }

            best = Math.Min(best, Quadratic(g, c));
        }

        return best;
    }

    public static double Quadratic(Matrix<double> g, IReadOnlyList<double> c)
    {
        double value = 0.0;
        for (int i = 0; i < c.Count; i++)
        {
            for (int j = 0; j < c.Count; j++)
            {
                value += c[i] * g[i, j] * c[j];
            }
        }

        return value;
    }
}
