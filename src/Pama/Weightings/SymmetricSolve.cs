namespace Pama.Weightings;

/// <summary>Dense Cholesky solve for the small (n ≤ a few dozen) symmetric systems of the Gramian weightings.</summary>
internal static class SymmetricSolve
{
    /// <summary>A pivot at most this fraction of its diagonal entry marks the matrix as numerically singular.</summary>
    private const double RelativePivot = 1e-13;

    /// <summary>
    /// Solves A x = b for a symmetric positive definite m × m matrix stored row-major in <paramref name="a"/>
    /// (overwritten by its Cholesky factor L, lower triangle); <paramref name="b"/> is overwritten by x.
    /// Returns false, with a and b in an unspecified state, when a pivot Lⱼⱼ² ≤ 1e-13 · Aⱼⱼ (not numerically positive definite).
    /// </summary>
    public static bool TryCholeskySolve(Span<double> a, int m, Span<double> b)
    {
        for (int j = 0; j < m; j++)
        {
            double diagonal = a[(j * m) + j];
            double pivot = diagonal;
            for (int k = 0; k < j; k++)
            {
                pivot -= a[(j * m) + k] * a[(j * m) + k];
            }

            if (!(pivot > RelativePivot * diagonal) || !(pivot > 0.0))
            {
                return false;
            }

            double root = Math.Sqrt(pivot);
            a[(j * m) + j] = root;
            for (int i = j + 1; i < m; i++)
            {
                double sum = a[(i * m) + j];
                for (int k = 0; k < j; k++)
                {
                    sum -= a[(i * m) + k] * a[(j * m) + k];
                }

                a[(i * m) + j] = sum / root;
            }
        }

        for (int i = 0; i < m; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++)
            {
                sum -= a[(i * m) + k] * b[k];
            }

            b[i] = sum / a[(i * m) + i];
        }

        for (int i = m - 1; i >= 0; i--)
        {
            double sum = b[i];
            for (int k = i + 1; k < m; k++)
            {
                sum -= a[(k * m) + i] * b[k];
            }

            b[i] = sum / a[(i * m) + i];
        }

        return true;
    }
}
