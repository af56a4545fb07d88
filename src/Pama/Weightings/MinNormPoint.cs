namespace Pama.Weightings;

/// <summary>
/// min over the simplex of cᵀHc for a symmetric PSD H normalised to maxᵢ Hᵢᵢ = 1 (n ≥ 2), by Wolfe's
/// min-norm-point algorithm (Wolfe 1976, "Finding the nearest point in a polytope"), i.e. a
/// fully-corrective Frank-Wolfe method expressed through the Gramian.
/// </summary>
/// <remarks>
/// <para>
/// Major iteration: g = Hc, t = argminᵢ gᵢ (the Frank-Wolfe vertex). Stop when the duality gap
/// cᵀg − g_t ≤ tolerance. Otherwise add t to the support S and minimise exactly over the affine hull of
/// S (KKT system H_SS y = λ·1, Σ y = 1). If y leaves the simplex, move from c towards y until a
/// weight reaches 0, drop it, and repeat (minor iterations). When that exact step is unavailable
/// (singular system, or t already in S because of rounding) a pairwise Frank-Wolfe step with exact
/// line search (Lacoste-Julien and Jaggi 2015) is taken instead, so every iteration decreases cᵀHc.
/// </para>
/// <para>Plain Frank-Wolfe converges sublinearly; this variant terminates after finitely many
/// support changes in exact arithmetic and reaches the gap tolerance in a handful of iterations.</para>
/// </remarks>
internal static class MinNormPoint
{
    /// <summary>Runs the solver; c receives the weights; returns whether the gap tolerance was met.</summary>
    public static bool Solve(double[] h, int n, Span<double> c, double tolerance, int maxIterations, out int iterations)
    {
        var gradient = new double[n];
        var inSupport = new bool[n];
        var affine = new double[n];
        int start = 0;
        for (int i = 1; i < n; i++)
        {
            if (h[(i * n) + i] < h[(start * n) + start])
            {
                start = i;
            }
        }

        c.Clear();
        c[start] = 1.0;
        inSupport[start] = true;
        for (iterations = 0; iterations < maxIterations; iterations++)
        {
            Multiply(h, n, c, gradient);
            int toward = ArgMin(gradient);
            if (Gap(c, gradient, toward) <= tolerance)
            {
                return true;
            }

            bool corrected = false;
            if (!inSupport[toward])
            {
                inSupport[toward] = true;
                corrected = Correct(h, n, c, inSupport, affine, toward);
            }

            if (!corrected && !PairwiseStep(h, n, c, inSupport, gradient, toward))
            {
                // No descent direction left at working precision: c is optimal up to rounding.
                return Gap(c, gradient, toward) <= tolerance;
            }
        }

        Multiply(h, n, c, gradient);
        return Gap(c, gradient, ArgMin(gradient)) <= tolerance;
    }

    /// <summary>
    /// Wolfe's minor cycle: repeatedly minimise over the affine hull of the support and clip back to the
    /// simplex. Returns false (leaving c unchanged) when the affine minimiser is unavailable or would drop
    /// the vertex just added, so the caller falls back to a pairwise step.
    /// </summary>
    private static bool Correct(double[] h, int n, Span<double> c, bool[] inSupport, double[] affine, int added)
    {
        for (int minor = 0; minor <= n; minor++)
        {
            if (!AffineMinimizer(h, n, inSupport, affine))
            {
                return minor > 0;
            }

            double theta = 1.0;
            int drop = -1;
            for (int i = 0; i < n; i++)
            {
                if (inSupport[i] && affine[i] <= 0.0)
                {
                    double denominator = c[i] - affine[i];
                    double limit = denominator > 0.0 ? c[i] / denominator : 0.0;
                    if (limit < theta || drop < 0)
                    {
                        theta = Math.Min(theta, limit);
                        drop = i;
                    }
                }
            }

            if (drop < 0)
            {
                for (int i = 0; i < n; i++)
                {
                    c[i] = inSupport[i] ? affine[i] : 0.0;
                }

                Normalize(c);
                return true;
            }

            if (minor == 0 && drop == added)
            {
                return false;
            }

            for (int i = 0; i < n; i++)
            {
                if (inSupport[i])
                {
                    c[i] = Math.Max(((1.0 - theta) * c[i]) + (theta * affine[i]), 0.0);
                }
            }

            c[drop] = 0.0;
            inSupport[drop] = false;
            for (int i = 0; i < n; i++)
            {
                if (inSupport[i] && c[i] == 0.0)
                {
                    inSupport[i] = false;
                }
            }

            Normalize(c);
        }

        return true;
    }

    /// <summary>
    /// Pairwise Frank-Wolfe step: move mass from the worst supported vertex to <paramref name="toward"/> with exact
    /// line search. Returns false if no positive step exists.
    /// </summary>
    private static bool PairwiseStep(double[] h, int n, Span<double> c, bool[] inSupport, double[] gradient, int toward)
    {
        int away = -1;
        for (int i = 0; i < n; i++)
        {
            if (c[i] > 0.0 && (away < 0 || gradient[i] > gradient[away]))
            {
                away = i;
            }
        }

        if (away < 0 || away == toward)
        {
            return false;
        }

        // Along d = e_toward − e_away: f(c + γd) = f(c) + 2γ·slope + γ²·curvature, γ ∈ [0, c_away].
        double slope = gradient[toward] - gradient[away];
        double curvature = h[(toward * n) + toward] + h[(away * n) + away] - (2.0 * h[(toward * n) + away]);
        double maxStep = c[away];
        double step = curvature > 0.0 ? Math.Min(maxStep, -slope / curvature) : maxStep;
        if (!(step > 0.0) || !(slope < 0.0))
        {
            return false;
        }

        c[toward] += step;
        inSupport[toward] = true;
        if (step == maxStep)
        {
            c[away] = 0.0;
            inSupport[away] = false;
        }
        else
        {
            c[away] -= step;
        }

        return true;
    }

    /// <summary>
    /// Solves the bordered KKT system [H_SS −1; 1ᵀ 0] [y; λ] = [0; 1] by Gaussian elimination with partial
    /// pivoting. Returns false if it is numerically singular (affinely dependent support).
    /// </summary>
    private static bool AffineMinimizer(double[] h, int n, bool[] inSupport, double[] result)
    {
        Span<int> support = stackalloc int[n];
        int m = 0;
        for (int i = 0; i < n; i++)
        {
            if (inSupport[i])
            {
                support[m++] = i;
            }
        }

        int size = m + 1;
        var a = new double[size * (size + 1)];
        int width = size + 1;
        for (int r = 0; r < m; r++)
        {
            for (int s = 0; s < m; s++)
            {
                a[(r * width) + s] = h[(support[r] * n) + support[s]];
            }

            a[(r * width) + m] = -1.0;
            a[(m * width) + r] = 1.0;
        }

        a[(m * width) + size] = 1.0;
        for (int col = 0; col < size; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < size; r++)
            {
                if (Math.Abs(a[(r * width) + col]) > Math.Abs(a[(pivot * width) + col]))
                {
                    pivot = r;
                }
            }

            if (Math.Abs(a[(pivot * width) + col]) < 1e-13)
            {
                return false;
            }

            if (pivot != col)
            {
                for (int k = 0; k < width; k++)
                {
                    (a[(col * width) + k], a[(pivot * width) + k]) = (a[(pivot * width) + k], a[(col * width) + k]);
                }
            }

            for (int r = col + 1; r < size; r++)
            {
                double factor = a[(r * width) + col] / a[(col * width) + col];
                for (int k = col; k < width; k++)
                {
                    a[(r * width) + k] -= factor * a[(col * width) + k];
                }
            }
        }

        Span<double> x = stackalloc double[size];
        for (int r = size - 1; r >= 0; r--)
        {
            double sum = a[(r * width) + size];
            for (int k = r + 1; k < size; k++)
            {
                sum -= a[(r * width) + k] * x[k];
            }

            x[r] = sum / a[(r * width) + r];
        }

        Array.Clear(result);
        for (int r = 0; r < m; r++)
        {
            if (!double.IsFinite(x[r]))
            {
                return false;
            }

            result[support[r]] = x[r];
        }

        return true;
    }

    public static void Multiply(double[] h, int n, ReadOnlySpan<double> c, Span<double> result)
    {
        for (int i = 0; i < n; i++)
        {
            double sum = 0.0;
            for (int j = 0; j < n; j++)
            {
                sum += h[(i * n) + j] * c[j];
            }

            result[i] = sum;
        }
    }

    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0.0;
        for (int i = 0; i < x.Length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    private static double Gap(ReadOnlySpan<double> c, ReadOnlySpan<double> gradient, int toward) =>
        Dot(c, gradient) - gradient[toward];

    private static int ArgMin(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] < values[best])
            {
                best = i;
            }
        }

        return best;
    }

    private static void Normalize(Span<double> c)
    {
        double sum = 0.0;
        foreach (double x in c)
        {
            sum += x;
        }

        for (int i = 0; i < c.Length; i++)
        {
            c[i] /= sum;
        }
    }
}
