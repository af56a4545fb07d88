using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// The projection of Jᵀu onto the dual cone {x : Jx ≥ 0} of the rows of J, through the Gramian G = JJᵀ only:
/// </summary>
/// <remarks>
/// <code>v = argmin over v ≥ u of vᵀGv,   then Jᵀv is the projection and Gv ≥ 0 (Quinton and Rey 2024, Proposition 1).</code>
/// <para>
/// Written as λ = v − u ≥ 0 it is the non-negative least-squares problem min over λ ≥ 0 of ‖Jᵀλ + Jᵀu‖², solved
/// exactly by Lawson and Hanson's active-set algorithm (1974, "Solving Least Squares Problems", ch. 23) in its
/// Gramian form: the dual vector is −Gv, the passive set P holds the λⱼ allowed to be positive, and every
/// sub-problem is the normal equations G_PP s_P = −(Gu)_P, solved by Cholesky. In exact arithmetic the passive
/// columns stay linearly independent (so G_PP is positive definite, even for a singular G) and the method ends
/// after finitely many steps.
/// </para>
/// <para>
/// Scale: the problem is solved exactly in the variables of the unit gradients. With D = diag(√Gᵢᵢ) and
/// G̃ = D⁻¹GD⁻¹, vᵀGv = zᵀG̃z for z = Dv and v ≥ u is z ≥ Du, so v = D⁻¹z maps back exactly; a zero gradient
/// keeps vᵢ = uᵢ (it changes neither the objective nor any constraint). The stopping rule is relative to the
/// current direction: every (G̃z)ⱼ = ĝⱼ·d ≥ −10⁻¹³·‖d‖ − 4nε·Σₖ|zₖ| (the cosine of d with each unit gradient, down
/// to the rounding of G̃z), so a constraint from a gradient 10⁶ times shorter than another is enforced as tightly as
/// any other.
/// </para>
/// <para>
/// Unlike TorchJD, which adds a ridge of 10⁻⁴ (reg_eps) to G before calling quadprog, no regularisation is needed.
/// </para>
/// </remarks>
internal static class DualConeProjection
{
    /// <summary>Relative stopping tolerance on the cosines ĝⱼ·d / ‖d‖.</summary>
    private const double Tolerance = 1e-13;

    /// <summary>
    /// Writes v = argmin over v ≥ u of vᵀGv into <paramref name="v"/>.
    /// </summary>
    /// <param name="scaled">The rescaled validated Gramian.</param>
    /// <param name="u">Lower bound, length n.</param>
    /// <param name="v">Receives the solution, length n.</param>
    public static void Solve(ScaledGramian scaled, ReadOnlySpan<double> u, Span<double> v)
    {
        Matrix<double> h = scaled.Unit;
        double[] norms = scaled.Norms;
        int n = u.Length;
        double[] bound = new double[n];
        for (int i = 0; i < n; i++)
        {
            bound[i] = norms[i] * u[i];
        }

        double[] q = new double[n];
        for (int i = 0; i < n; i++)
        {
            double sum = 0.0;
            for (int j = 0; j < n; j++)
            {
                sum += h[i, j] * bound[j];
            }

            q[i] = sum;
        }

        double[] lambda = new double[n];
        double[] s = new double[n];
        double[] r = new double[n];
        bool[] passive = new bool[n];
        bool[] blocked = new bool[n];
        int[] index = new int[n];
        double[] factor = new double[n * n];
        double[] rhs = new double[n];
        for (int outer = 0; outer < (3 * n) + 10; outer++)
        {
            Residual(h, q, lambda, r);
            double tolerance = StopTolerance(h, bound, lambda);
            int entering = -1;
            for (int j = 0; j < n; j++)
            {
                if (norms[j] > 0.0 && !passive[j] && !blocked[j] && r[j] < -tolerance && (entering < 0 || r[j] < r[entering]))
                {
                    entering = j;
                }
            }

            if (entering < 0)
            {
                break;
            }

            passive[entering] = true;
            bool accepted = true;
            for (int inner = 0; inner <= n; inner++)
            {
                if (!SolvePassive(h, q, passive, index, factor, rhs, s) || (inner == 0 && s[entering] <= 0.0))
                {
                    // Numerically dependent on the passive set: its residual is rounding noise.
                    passive[entering] = false;
                    blocked[entering] = true;
                    accepted = false;
                    break;
                }

                double alpha = 1.0;
                int leaving = -1;
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && s[j] <= 0.0)
                    {
                        double step = lambda[j] / (lambda[j] - s[j]);
                        if (leaving < 0 || step < alpha)
                        {
                            alpha = Math.Min(alpha, step);
                            leaving = j;
                        }
                    }
                }

                if (leaving < 0)
                {
                    s.CopyTo(lambda, 0);
                    break;
                }

                for (int j = 0; j < n; j++)
                {
                    if (passive[j])
                    {
                        lambda[j] += alpha * (s[j] - lambda[j]);
                    }
                }

                lambda[leaving] = 0.0;
                for (int j = 0; j < n; j++)
                {
                    if (passive[j] && lambda[j] <= 0.0)
                    {
                        lambda[j] = 0.0;
                        passive[j] = false;
                    }
                }
            }

            if (accepted)
            {
                // λ changed, so the residuals of the blocked columns did too.
                Array.Clear(blocked);
            }
        }

        for (int i = 0; i < n; i++)
        {
            v[i] = norms[i] > 0.0 ? (bound[i] + lambda[i]) / norms[i] : u[i];
        }
    }

    /// <summary>10⁻¹³‖d‖ + 4nε Σₖ|zₖ| at z = bound + λ, ‖d‖² = zᵀG̃z.</summary>
    private static double StopTolerance(Matrix<double> h, double[] bound, double[] lambda)
    {
        int n = bound.Length;
        double value = 0.0;
        double size = 0.0;
        for (int i = 0; i < n; i++)
        {
            double zi = bound[i] + lambda[i];
            size += Math.Abs(zi);
            double row = 0.0;
            for (int j = 0; j < n; j++)
            {
                row += h[i, j] * (bound[j] + lambda[j]);
            }

            value += zi * row;
        }

        return (Tolerance * Math.Sqrt(Math.Max(value, 0.0))) + (4.0 * n * ScaledGramian.MachineEpsilon * Math.Max(size, double.Epsilon));
    }

    /// <summary>r = H(u + λ) = q + Hλ, the gradient of ½vᵀHv.</summary>
    private static void Residual(Matrix<double> h, double[] q, double[] lambda, double[] r)
    {
        int n = q.Length;
        for (int i = 0; i < n; i++)
        {
            double sum = q[i];
            for (int j = 0; j < n; j++)
            {
                sum += h[i, j] * lambda[j];
            }

            r[i] = sum;
        }
    }

    /// <summary>Solves H_PP s_P = −q_P (s zero off P) by Cholesky; false if H_PP is not numerically positive definite.</summary>
    private static bool SolvePassive(Matrix<double> h, double[] q, bool[] passive, int[] index, double[] factor, double[] rhs, double[] s)
    {
        int m = 0;
        for (int j = 0; j < passive.Length; j++)
        {
            if (passive[j])
            {
                index[m++] = j;
            }
        }

        for (int a = 0; a < m; a++)
        {
            rhs[a] = -q[index[a]];
            for (int b = 0; b < m; b++)
            {
                factor[(a * m) + b] = h[index[a], index[b]];
            }
        }

        if (!SymmetricSolve.TryCholeskySolve(factor, m, rhs))
        {
            return false;
        }

        Array.Clear(s);
        for (int a = 0; a < m; a++)
        {
            s[index[a]] = rhs[a];
        }

        return true;
    }
}
