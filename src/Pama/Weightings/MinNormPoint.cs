using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// min over the simplex of cᵀHc for a symmetric PSD H normalised to maxᵢ Hᵢᵢ = 1 (n ≥ 2), by Wolfe's
/// min-norm-point algorithm (Wolfe 1976, "Finding the nearest point in a polytope"), i.e. a
/// fully-corrective Frank-Wolfe method expressed through the Gramian.
/// </summary>
/// <remarks>
/// <para>
/// Major iteration: g = Hc, t = argminᵢ gᵢ (the Frank-Wolfe vertex). Stop when the duality gap
/// cᵀg − g_t ≤ tolerance · cᵀHc (relative: then gᵢ·d ≥ ‖d‖²(1 − tolerance) for every i), or when the gap is
/// within the rounding of Hc itself (4nε · σ(σ + s_t), σ = Σⱼ cⱼsⱼ, sⱼ = √Hⱼⱼ). Otherwise add t to the support S and
/// minimise exactly over the affine hull of S (KKT system H_SS y = λ·1, Σ y = 1), solved in the rescaled variables
/// z = D y of the unit gradients, D = diag(s): [H̃_SS −a; aᵀ 0][z; λ] = [0; 1] with H̃ = D⁻¹HD⁻¹ and a = D⁻¹1 (scaled
/// to unit norm), so the pivots and the singularity test do not depend on the gradient norms. If y leaves the
/// simplex, move from c towards y until a weight reaches 0, drop it, and repeat (minor iterations). When that exact
/// step is unavailable (singular system, or t already in S because of rounding) a pairwise Frank-Wolfe step with
/// exact line search (Lacoste-Julien and Jaggi 2015) is taken instead, so every iteration decreases cᵀHc.
/// </para>
/// <para>Plain Frank-Wolfe converges sublinearly; this variant terminates after finitely many
/// support changes in exact arithmetic and reaches the gap tolerance in a handful of iterations.</para>
/// </remarks>
internal static class MinNormPoint
{
    /// <summary>
    /// Smallest pivot magnitude of the rescaled KKT system's LU factors (entries at most 1 in magnitude) below which
    /// the support is treated as affinely dependent.
    /// </summary>
    private const double SingularPivot = 1e-13;

    /// <summary>Runs the solver; c (length n) receives the weights; returns whether the gap tolerance was met.</summary>
    public static bool Solve(Matrix<double> h, Vector<double> c, double tolerance, int maxIterations, out int iterations)
    {
        int n = h.RowCount;
        double[] norms = new double[n];
        for (int i = 0; i < n; i++)
        {
            norms[i] = Math.Sqrt(Math.Max(h[i, i], 0.0));
        }

        var gradient = Vector<double>.Build.Dense(n);
        var inSupport = new bool[n];
        int start = h.Diagonal().MinimumIndex();
        c.Clear();
        c[start] = 1.0;
        inSupport[start] = true;
        for (iterations = 0; iterations < maxIterations; iterations++)
        {
            h.Multiply(c, gradient);
            int toward = gradient.MinimumIndex();
            if (Converged(c, gradient, toward, norms, tolerance))
            {
                return true;
            }

            bool corrected = false;
            if (!inSupport[toward])
            {
                inSupport[toward] = true;
                corrected = Correct(h, norms, c, inSupport, toward);
            }

            if (!corrected && !PairwiseStep(h, c, inSupport, gradient, toward))
            {
                // No descent direction left at working precision: c is optimal up to rounding.
                return Converged(c, gradient, toward, norms, tolerance);
            }
        }

        h.Multiply(c, gradient);
        return Converged(c, gradient, gradient.MinimumIndex(), norms, tolerance);
    }

    /// <summary>
    /// The relative stopping rule: gap ≤ tolerance · cᵀHc, or the gap within the rounding of Hc
    /// (4nε · σ(σ + s_t), σ = Σⱼ cⱼsⱼ), below which no step can be trusted.
    /// </summary>
    private static bool Converged(Vector<double> c, Vector<double> gradient, int toward, double[] norms, double tolerance)
    {
        double value = Math.Max(c.DotProduct(gradient), 0.0);
        double spread = 0.0;
        for (int i = 0; i < c.Count; i++)
        {
            spread += Math.Abs(c[i]) * norms[i];
        }

        double rounding = 4.0 * c.Count * ScaledGramian.MachineEpsilon * spread * (spread + norms[toward]);
        return Gap(c, gradient, toward) <= Math.Max(tolerance * value, rounding);
    }

    /// <summary>The Frank-Wolfe duality gap cᵀg − g_toward.</summary>
    public static double Gap(Vector<double> c, Vector<double> gradient, int toward) => c.DotProduct(gradient) - gradient[toward];

    /// <summary>
    /// Wolfe's minor cycle: repeatedly minimise over the affine hull of the support and clip back to the
    /// simplex. Returns false (leaving c unchanged) when the affine minimiser is unavailable or would drop
    /// the vertex just added, so the caller falls back to a pairwise step.
    /// </summary>
    private static bool Correct(Matrix<double> h, double[] norms, Vector<double> c, bool[] inSupport, int added)
    {
        int n = c.Count;
        for (int minor = 0; minor <= n; minor++)
        {
            Vector<double>? affine = AffineMinimizer(h, norms, inSupport);
            if (affine is null)
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
                affine.CopyTo(c);
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
    private static bool PairwiseStep(Matrix<double> h, Vector<double> c, bool[] inSupport, Vector<double> gradient, int toward)
    {
        int away = -1;
        for (int i = 0; i < c.Count; i++)
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
        double curvature = h[toward, toward] + h[away, away] - (2.0 * h[toward, away]);
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
    /// Solves the bordered KKT system [H_SS −1; 1ᵀ 0] [y; λ] = [0; 1] in the rescaled variables z = D_S y:
    /// [H̃_SS −â; âᵀ 0] [z; λ‖a‖] = [0; 1/‖a‖] with H̃ = D⁻¹HD⁻¹, a = D_S⁻¹1 and â = a/‖a‖, by MathNet's LU
    /// decomposition (partial pivoting). Returns the minimiser y = D_S⁻¹z scattered back to n entries, or null if the
    /// system is numerically singular (affinely dependent support) or the support holds a zero gradient.
    /// </summary>
    private static Vector<double>? AffineMinimizer(Matrix<double> h, double[] norms, bool[] inSupport)
    {
        int[] support = [.. Enumerable.Range(0, inSupport.Length).Where(i => inSupport[i])];
        int m = support.Length;
        double aNorm = 0.0;
        foreach (int i in support)
        {
            if (!(norms[i] > 0.0))
            {
                return null;
            }

            aNorm += 1.0 / (norms[i] * norms[i]);
        }

        aNorm = Math.Sqrt(aNorm);
        Matrix<double> system = Matrix<double>.Build.Dense(m + 1, m + 1);
        for (int r = 0; r < m; r++)
        {
            for (int s = 0; s < m; s++)
            {
                system[r, s] = h[support[r], support[s]] / norms[support[r]] / norms[support[s]];
            }

            double a = 1.0 / norms[support[r]] / aNorm;
            system[r, m] = -a;
            system[m, r] = a;
        }

        var lu = system.LU();
        if (lu.U.Diagonal().AbsoluteMinimum() < SingularPivot)
        {
            return null;
        }

        var rightHandSide = Vector<double>.Build.Dense(m + 1);
        rightHandSide[m] = 1.0 / aNorm;
        Vector<double> solution = lu.Solve(rightHandSide);
        var result = Vector<double>.Build.Dense(inSupport.Length);
        for (int r = 0; r < m; r++)
        {
            double y = solution[r] / norms[support[r]];
            if (!double.IsFinite(y))
            {
                return null;
            }

            result[support[r]] = y;
        }

        return result;
    }

    private static void Normalize(Vector<double> c) => c.Divide(c.Sum(), c);
}
