using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// The MGDA weighting (Désidéri 2012; Sener and Koltun 2018, "Multi-Task Learning as Multi-Objective
/// Optimization", NeurIPS): the min-norm point of the convex hull of the per-objective gradients,
/// </summary>
/// <remarks>
/// <code>c = argmin over c in the simplex Δ of ‖Σᵢ cᵢ ∇Lᵢ‖² = cᵀGc,   Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩.</code>
/// <para>
/// n = 1: c = (1). n = 2: the closed form of Sener and Koltun (2018, Algorithm 1),
/// c₁ = clamp((G₂₂ − G₁₂) / (G₁₁ + G₂₂ − 2G₁₂), 0, 1), c₂ = 1 − c₁, with c₁ = ½ when the
/// denominator ‖∇L₁ − ∇L₂‖² is 0 (identical gradients: every c is optimal).
/// n &gt; 2: Frank-Wolfe on H = G / maxᵢ Gᵢᵢ, started at the vertex of smallest Gᵢᵢ, in its fully-corrective
/// form (Wolfe's 1976 min-norm-point algorithm): each iteration adds the Frank-Wolfe vertex t = argminᵢ (Hc)ᵢ
/// to the support and re-minimises exactly over the support's hull, falling back to a pairwise step with
/// exact line search (Lacoste-Julien and Jaggi 2015). Sener and Koltun use plain Frank-Wolfe, whose rate is
/// sublinear; this variant reaches machine precision in a few iterations.
/// Every affine sub-problem is solved in the variables of the unit gradients (G rescaled by D = diag(√Gᵢᵢ)), so a
/// gradient 10⁶ times shorter than another is handled as exactly as one of equal norm.
/// It stops when the duality gap cᵀGc − minᵢ (Gc)ᵢ ≤ <see cref="MgdaOptions.Tolerance"/> · cᵀGc, a relative rule
/// (then ∇Lᵢ·d ≥ ‖d‖²(1 − Tolerance) for every i and cᵀGc ≤ (1 + 2·Tolerance) min over Δ), or when the gap is
/// within the rounding of Gc itself (4nε·σ(σ + ‖∇L_t‖), σ = Σⱼ cⱼ‖∇Lⱼ‖: only where d nearly cancels), or after
/// <see cref="MgdaOptions.MaxIterations"/> iterations. G = 0 gives uniform weights.
/// Stated accuracy, for gradient norms spanning 10⁻³..10³ and rank-deficient G (tests/Pama.Tests/Weightings/
/// ScaleInvarianceTests.cs): ∇Lᵢ·d ≥ ‖d‖²(1 − 10⁻⁹) − 10⁻¹¹‖∇Lᵢ‖σ for every i, and ‖d‖² ≤ (1 + 10⁻⁹) times the exact
/// minimum plus 10⁻¹¹σ², the second terms being the rounding of a float64 Gramian (σ = Σⱼ cⱼ‖∇Lⱼ‖). Where
/// ‖d‖ ≤ 10⁻⁷σ, 0 is in the hull to the precision a float64 G carries (cᵀGc is known to about ε·σ²) and the sign
/// of ∇Lᵢ·d is rounding.
/// </para>
/// <para>
/// Building G costs O(n² d) for gradients of size d (see <see cref="Gramian(ReadOnlySpan{double}, int)"/>);
/// this is the cost PAMA avoids. The MGDA-UB variant applies the same weighting to gradients with respect
/// to a shared representation instead of all parameters.
/// </para>
/// </remarks>
public sealed partial class MgdaWeighting : IWeighting
{
    /// <summary>Creates the weighting with the given Frank-Wolfe options (defaults if null).</summary>
    /// <param name="options">Stopping controls for n &gt; 2.</param>
    public MgdaWeighting(MgdaOptions? options = null)
    {
        Options = options ?? new MgdaOptions();
    }

    /// <summary>The Frank-Wolfe stopping controls.</summary>
    public MgdaOptions Options { get; }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes the MGDA weights for <see cref="WeightingInput.Gramian"/> into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns>The optimal value cᵀGc.</returns>
    /// <exception cref="ArgumentException">No Gramian, an invalid Gramian (see <see cref="Solve"/>), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        if (input.Gramian is null)
        {
            throw new ArgumentException(
                "MGDA needs the Gramian of the per-objective gradients; the input carries none (use WeightingInput.FromGramian).",
                nameof(input));
        }

        return Solve(input.Gramian, weights, Options).Value;
    }

    /// <summary>
    /// Solves min over the simplex of cᵀGc, writing c into <paramref name="weights"/>.
    /// </summary>
    /// <param name="gramian">
    /// Symmetric positive semi-definite n × n matrix. Checked: square, finite entries, Gᵢⱼ = Gⱼᵢ and
    /// |Gᵢⱼ| ≤ √(GᵢᵢGⱼⱼ) up to 1e-9·√(GᵢᵢGⱼⱼ), Gᵢᵢ ≥ 0 (necessary conditions of a Gramian; full
    /// positive semi-definiteness is not verified). The symmetric part is used.
    /// </param>
    /// <param name="weights">Receives c (length n).</param>
    /// <param name="options">Stopping controls for n &gt; 2 (defaults if null).</param>
    /// <returns>The optimal value cᵀGc, the final gap, the iteration count and whether the stopping rule was met.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="gramian"/> is null.</exception>
    /// <exception cref="ArgumentException">An entry violates the checks above (the message names the entry), or a length mismatch.</exception>
    public static MgdaResult Solve(Matrix<double> gramian, Span<double> weights, MgdaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        options ??= new MgdaOptions();
        int n = gramian.RowCount;
        if (n != gramian.ColumnCount || n == 0)
        {
            throw new ArgumentException(
                $"The Gramian must be square and non-empty; it is {gramian.RowCount} × {gramian.ColumnCount}.",
                nameof(gramian));
        }

        if (weights.Length != n)
        {
            throw new ArgumentException(
                $"The weights span has length {weights.Length} but the Gramian is {n} × {n}.", nameof(weights));
        }

        Matrix<double> h = SymmetricPart(gramian);
        double scale = h.Diagonal().Maximum();
        if (scale == 0.0)
        {
            // G = 0 (by the Cauchy-Schwarz check): every c is optimal.
            weights.Fill(1.0 / n);
            return new MgdaResult(0.0, 0.0, 0, true);
        }

        h.Divide(scale, h);
        var c = Vector<double>.Build.Dense(n);
        int iterations = 0;
        bool converged = true;
        if (n == 1)
        {
            c[0] = 1.0;
        }
        else if (n == 2)
        {
            SolveTwo(h[0, 0], h[0, 1], h[1, 1], c);
        }
        else
        {
            converged = MinNormPoint.Solve(h, c, options.Tolerance, options.MaxIterations, out iterations);
        }

        Vector<double> gradient = h * c;
        double value = Math.Max(c.DotProduct(gradient), 0.0);
        double gap = Math.Max(MinNormPoint.Gap(c, gradient, gradient.MinimumIndex()), 0.0);
        c.AsArray().CopyTo(weights);
        return new MgdaResult(value * scale, gap * scale, iterations, converged);
    }

    /// <summary>
    /// Sener and Koltun's two-objective closed form on a symmetric 2 × 2 matrix, with both weights computed from
    /// their own numerators, c₁ = (G₂₂ − G₁₂)/Σ and c₂ = (G₁₁ − G₁₂)/Σ, so that a tiny weight on a long gradient keeps
    /// its relative accuracy (1 − c₁ would leave it an absolute error of ε).
    /// </summary>
    private static void SolveTwo(double g11, double g12, double g22, Vector<double> weights)
    {
        double first = g22 - g12;
        double second = g11 - g12;
        if (!(first + second > 0.0))
        {
            weights[0] = 0.5;
            weights[1] = 0.5;
        }
        else if (first <= 0.0)
        {
            weights[0] = 0.0;
            weights[1] = 1.0;
        }
        else if (second <= 0.0)
        {
            weights[0] = 1.0;
            weights[1] = 0.0;
        }
        else
        {
            weights[0] = first / (first + second);
            weights[1] = second / (first + second);
        }
    }

    /// <summary>Validated symmetric part (G + Gᵀ)/2, a new matrix.</summary>
    internal static Matrix<double> SymmetricPart(Matrix<double> gramian)
    {
        int n = gramian.RowCount;
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double x = gramian[i, j];
                if (!double.IsFinite(x))
                {
                    throw new ArgumentException($"Gramian entry ({i}, {j}) is {PamaSolver.Describe(x)}.", nameof(gramian));
                }
            }

            if (gramian[i, i] < 0.0)
            {
                throw new ArgumentException(
                    $"Gramian diagonal entry ({i}, {i}) is negative ({gramian[i, i]}); a Gramian is positive semi-definite.",
                    nameof(gramian));
            }
        }

        Matrix<double> g = Matrix<double>.Build.DenseOfMatrix(gramian);
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                double upper = g[i, j];
                double lower = g[j, i];
                double bound = Math.Sqrt(g[i, i]) * Math.Sqrt(g[j, j]);
                double slack = 1e-9 * bound;
                if (Math.Abs(upper - lower) > slack)
                {
                    throw new ArgumentException(
                        $"The Gramian is not symmetric: entry ({i}, {j}) = {upper} but entry ({j}, {i}) = {lower}.",
                        nameof(gramian));
                }

                double symmetric = (0.5 * upper) + (0.5 * lower);
                if (Math.Abs(symmetric) > bound + slack)
                {
                    throw new ArgumentException(
                        $"Gramian entry ({i}, {j}) = {symmetric} exceeds √(G{i}{i}·G{j}{j}) = {bound}; a Gramian is positive semi-definite.",
                        nameof(gramian));
                }

                g[i, j] = symmetric;
                g[j, i] = symmetric;
            }
        }

        return g;
    }
}
