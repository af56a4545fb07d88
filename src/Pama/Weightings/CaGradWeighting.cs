using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// CAGrad, conflict-averse gradient descent (Liu, Liu, Jin, Stone and Liu 2021, "Conflict-Averse Gradient
/// Descent for Multi-task Learning", NeurIPS, Algorithm 1): the direction in a ball around the mean gradient g₀
/// that maximises the worst objective's improvement.
/// </summary>
/// <remarks>
/// <code>
/// primal: max over d with ‖d − g₀‖ ≤ c‖g₀‖ of minᵢ ∇Lᵢ·d,   g₀ = (1/n) Σᵢ ∇Lᵢ
/// dual:   w* = argmin over w in the simplex of  F(w) = g_w·g₀ + c‖g₀‖ ‖g_w‖,   g_w = Σᵢ wᵢ∇Lᵢ
/// d = (g₀ + (c‖g₀‖ / ‖g_w*‖) g_w*) / (1 + c²),   so  wᵢ = (1/n + (c‖g₀‖/‖g_w*‖) wᵢ*) / (1 + c²).
/// </code>
/// <para>
/// c ≥ 0 is the paper's c (the radius of the ball relative to ‖g₀‖; c = 0 gives the mean, large c approaches
/// MGDA's direction; the paper uses 0.4 to 0.5). The division by 1 + c² is the authors' default (rescale = 1 in
/// their code; TorchJD omits it): set <see cref="Rescale"/> to false for the unscaled d.
/// </para>
/// <para>
/// Exact solve (the authors call SciPy's SLSQP, TorchJD cvxpy): F(w) = min over t &gt; 0 of
/// g_w·g₀ + (c‖g₀‖/2)(‖g_w‖²/t + t), and for fixed t the inner problem is a min-norm point, that of the hull of
/// the shifted gradients ∇Lᵢ + (t/(c‖g₀‖)) g₀ (MGDA on a shifted Gramian). The outer function is convex in t with
/// derivative sign(t − ‖g_w(t)‖), so t* = ‖g_w*‖ is the root of that gap, found to machine precision by safeguarded
/// regula falsi (Illinois), bracketed below by the norm of the min-norm point. When ‖g_w*‖ ≤ 10⁻⁷ Σᵢ wᵢ*‖∇Lᵢ‖
/// (0 up to rounding: 0 is in the hull of the gradients, a Pareto-stationary point) the direction is undefined and the
/// weights are 0, as in TorchJD. Cost: a few dozen MGDA solves of size n.
/// </para>
/// <para>
/// Scale: the coordinates R (RRᵀ = G) come from the eigendecomposition of the unit gradients' Gramian
/// D⁻¹GD⁻¹ (D = diag(‖∇Lᵢ‖)) scaled back by D, so every row keeps its own relative accuracy (an eigendecomposition
/// of G itself has an error of ε·maxᵢGᵢᵢ, which loses gradients 10⁶ times shorter), the inner min-norm points use
/// MGDA's relative stopping rule, and the stationarity test is relative. Stated accuracy, for gradient norms
/// spanning 10⁻³..10³: ‖d − g₀‖ ≤ c‖g₀‖(1 + 10⁻⁹), and the worst-case improvement minᵢ ∇Lᵢ·d is within
/// 10⁻⁸·|F(w*)| + 10⁻¹¹‖∇L_a‖Σⱼwⱼ‖∇Lⱼ‖ of the dual bound F(w*) (a the worst objective), which proves d optimal.
/// </para>
/// </remarks>
public sealed class CaGradWeighting : IWeighting
{
    /// <summary>
    /// ‖g_w*‖ at most this fraction of Σᵢ wᵢ*‖∇Lᵢ‖ counts as 0 (Pareto-stationary; relative to the gradients it
    /// combines, not to the longest one): a min-norm point computed from a Gramian carries an error of about
    /// √ε ≈ 10⁻⁸ of that in norm, so below this its direction is rounding noise.
    /// </summary>
    private const double StationaryNorm = 1e-7;

    /// <summary>Creates CAGrad with radius factor <paramref name="c"/>.</summary>
    /// <param name="c">The paper's c ≥ 0, finite.</param>
    /// <param name="rescale">Divide d by 1 + c² (the authors' default).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="c"/> is negative or not finite.</exception>
    public CaGradWeighting(double c, bool rescale = true)
    {
        if (!(c >= 0.0) || !double.IsFinite(c))
        {
            throw new ArgumentOutOfRangeException(nameof(c), c, "CAGrad's c must be finite and non-negative.");
        }

        C = c;
        Rescale = rescale;
    }

    /// <summary>The paper's c: the radius of the ball around g₀ is c‖g₀‖.</summary>
    public double C { get; }

    /// <summary>Whether d is divided by 1 + c² (the authors' default).</summary>
    public bool Rescale { get; }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes CAGrad's weights into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns>The optimal value F(w*) = g_w*·g₀ + c‖g₀‖‖g_w*‖ of the dual problem, in the units of G.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "CAGrad");
        int n = gramian.RowCount;
        double scale = GramianInput.Scale(gramian);
        double divisor = Rescale ? 1.0 + (C * C) : 1.0;
        if (scale == 0.0)
        {
            weights.Fill(1.0 / n / divisor);
            return 0.0;
        }

        // Work on coordinates: rows rᵢ with RRᵀ = G/scale, each row accurate relative to its own norm (from the
        // eigendecomposition of the unit gradients' Gramian, see ScaledGramian), and g₀ = mean of the rows is formed
        // as a vector, so a tiny g₀ (nearly cancelling gradients) keeps its relative accuracy, which products of
        // Gramian entries would lose.
        Matrix<double> rows = new ScaledGramian(gramian / scale).Coordinates;
        Vector<double> mean = rows.ColumnSums() / n;
        Vector<double> b = rows * mean;
        double k = C * mean.L2Norm();
        if (k == 0.0)
        {
            weights.Fill(1.0 / n / divisor);
            return b.Minimum() * scale;
        }

        var inner = new ShiftedMinNorm(rows, mean, k);
        double[] w = new double[n];

        // t* = ‖g_w*‖ is at least the norm of the min-norm point of the hull (g_w* is in the hull) and at most 1.
        double[] norms = new double[n];
        double shortest = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            norms[i] = Math.Sqrt(gramian[i, i] / scale);
            shortest = norms[i] > 0.0 ? Math.Min(shortest, norms[i]) : shortest;
        }

        double minNorm = Math.Sqrt(Math.Max(MgdaWeighting.Solve(gramian / scale, w).Value, 0.0));
        double low = Math.Max(0.5 * minNorm, 0.1 * StationaryNorm * shortest);
        double t = RootOfGap(inner, w, low);
        double norm = inner.Norm(t, w);
        double value = (b.DotProduct(Vector<double>.Build.Dense(w)) + (k * norm)) * scale;
        double spread = 0.0;
        for (int i = 0; i < n; i++)
        {
            spread += w[i] * norms[i];
        }

        if (norm <= StationaryNorm * spread)
        {
            weights.Clear();
            return value;
        }

        for (int i = 0; i < n; i++)
        {
            weights[i] = ((1.0 / n) + (k / norm * w[i])) / divisor;
        }

        return value;
    }

    /// <summary>
    /// The root t* of ψ(t) = t − ‖g_w(t)‖ on [low, 1] (0 when ψ ≥ 0 at low; ψ(1) ≥ 0, ψ's sign is that of the outer
    /// derivative), by the Illinois variant of regula falsi with a bisection whenever the bracket fails to halve; to
    /// machine precision. low is half the min-norm point's norm (ψ &lt; 0 there), or StationaryNorm/10 times the
    /// shortest non-zero gradient where that is smaller: below it ‖g_w(t)‖ is within rounding of 0 where 0 is in the
    /// hull, so ψ's sign there is noise, and ψ ≥ 0 there means t* = ‖g_w*‖ is below the stationary threshold.
    /// </summary>
    private static double RootOfGap(ShiftedMinNorm inner, double[] w, double low)
    {
        double high = 1.0;
        double psiLow = low - inner.Norm(low, w);
        if (psiLow >= 0.0)
        {
            return 0.0;
        }

        double psiHigh = 1.0 - inner.Norm(1.0, w);
        if (psiHigh <= 0.0)
        {
            return 1.0;
        }

        int side = 0;
        for (int iteration = 0; iteration < 200 && high - low > 2e-16 * high; iteration++)
        {
            double width = high - low;
            double t = iteration % 3 == 2 ? 0.5 * (low + high) : low - (psiLow * width / (psiHigh - psiLow));
            if (!(t > low && t < high))
            {
                t = 0.5 * (low + high);
            }

            double psi = t - inner.Norm(t, w);
            if (psi == 0.0)
            {
                return t;
            }

            if (psi < 0.0)
            {
                low = t;
                psiLow = psi;
                psiHigh = side == -1 ? 0.5 * psiHigh : psiHigh;
                side = -1;
            }
            else
            {
                high = t;
                psiHigh = psi;
                psiLow = side == 1 ? 0.5 * psiLow : psiLow;
                side = 1;
            }
        }

        return high;
    }

    /// <summary>
    /// w(t) = argmin over the simplex of ‖g_w + (t/k) g₀‖², MGDA on the Gramian of the shifted rows rᵢ + (t/k) g₀, with
    /// the buffers reused across calls.
    /// </summary>
    private sealed class ShiftedMinNorm(Matrix<double> rows, Vector<double> mean, double k)
    {
        private readonly int n = rows.RowCount;
        private readonly int m = rows.ColumnCount;
        private readonly double[,] coordinates = rows.ToArray();
        private readonly double[] center = mean.ToArray();
        private readonly double[,] shifted = new double[rows.RowCount, rows.ColumnCount];
        private readonly Matrix<double> gramian = Matrix<double>.Build.Dense(rows.RowCount, rows.RowCount);

        /// <summary>Writes w(t) into <paramref name="w"/> and returns ‖g_w(t)‖ = ‖Rᵀw‖.</summary>
        public double Norm(double t, double[] w)
        {
            double tau = t / k;
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < m; c++)
                {
                    shifted[i, c] = coordinates[i, c] + (tau * center[c]);
                }
            }

            for (int i = 0; i < n; i++)
            {
                for (int j = i; j < n; j++)
                {
                    double dot = 0.0;
                    for (int c = 0; c < m; c++)
                    {
                        dot += shifted[i, c] * shifted[j, c];
                    }

                    gramian[i, j] = dot;
                    gramian[j, i] = dot;
                }
            }

            MgdaWeighting.Solve(gramian, w);
            double squared = 0.0;
            for (int c = 0; c < m; c++)
            {
                double sum = 0.0;
                for (int i = 0; i < n; i++)
                {
                    sum += coordinates[i, c] * w[i];
                }

                squared += sum * sum;
            }

            return Math.Sqrt(squared);
        }
    }
}
