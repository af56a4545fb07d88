namespace Pama.Weightings;

/// <summary>
/// Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik and Fetaya 2022, "Multi-Task Learning as a
/// Bargaining Game", ICML): the Nash bargaining solution of the objectives, the weights α &gt; 0 with
/// </summary>
/// <remarks>
/// <code>(Gα)ᵢ = 1/αᵢ for every i,   i.e.  ∇Lᵢ·d = 1/αᵢ for d = Σⱼ αⱼ∇Lⱼ,</code>
/// the unique minimiser of the strictly convex f(α) = ½αᵀGα − Σᵢ log αᵢ (its gradient is Gα − 1/α).
/// <para>
/// Exact solve: damped Newton on f (Hessian G + diag(1/α²), positive definite); f is self-concordant, so the
/// step 1/(1 + λ) with Newton decrement λ keeps α &gt; 0 and converges globally, then quadratically (Nesterov and
/// Nemirovski 1994). It stops when λ² ≤ 10⁻²⁴, or at the rounding floor (λ ≤ 10⁻⁸ no longer halving). The authors instead run up to 20 convex-concave iterations of
/// cvxpy/ECOS on G/‖G‖_F and clip ‖d‖ to max_norm = 1; their α is the exact one times √‖G‖_F once converged.
/// We solve the paper's equations on G itself; <see cref="MaxNorm"/> reproduces the clipping when set.
/// </para>
/// <para>
/// Scale: Newton runs on the unit gradients, G̃ = D⁻¹GD⁻¹ with D = diag(‖∇Lᵢ‖), whose solution β maps back exactly
/// (α = D⁻¹β), so the solve is the same at any gradient norms. Stated accuracy, for norms spanning 10⁻³..10³:
/// |αᵢ ∇Lᵢ·d − 1| ≤ 10⁻⁹ + 10⁻¹¹ αᵢ‖∇Lᵢ‖ Σⱼ αⱼ‖∇Lⱼ‖ (the second term the rounding of a float64 Gramian).
/// </para>
/// <para>
/// No α &gt; 0 exists at a Pareto-stationary point (a convex combination of the gradients is 0, including a zero
/// gradient): f is then unbounded below; it is detected as a min-norm point of the unit gradients' hull of squared
/// norm ≤ 10⁻¹⁴. There, and if Newton has not converged after 2,000 steps (a point
/// within rounding of stationarity), the weights are 0: no direction improves every objective. Cost O(n³) per
/// Newton step, typically 10 to 30 steps.
/// </para>
/// </remarks>
public sealed class NashMtlWeighting : IWeighting
{
    private const int MaxSteps = 2000;

    /// <summary>
    /// The min-norm point of the hull of the unit gradients with squared norm at most this counts as Pareto-stationary
    /// (relative to each gradient's own norm, so a short gradient never makes the others look stationary).
    /// </summary>
    private const double StationaryValue = 1e-14;

    /// <summary>Creates Nash-MTL.</summary>
    /// <param name="maxNorm">If finite, α is scaled down so that ‖Σᵢ αᵢ∇Lᵢ‖ ≤ maxNorm (the authors' max_norm);
    /// +∞ (default) keeps the exact bargaining solution.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive, or NaN.</exception>
    public NashMtlWeighting(double maxNorm = double.PositiveInfinity)
    {
        if (!(maxNorm > 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max_norm must be positive (or +∞ for no clipping).");
        }

        MaxNorm = maxNorm;
    }

    /// <summary>Upper bound on ‖Σᵢ αᵢ∇Lᵢ‖ (+∞: none).</summary>
    public double MaxNorm { get; }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes the Nash bargaining weights α into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives α (all 0 at a Pareto-stationary point).</param>
    /// <returns>The optimal value f(α) = ½αᵀGα − Σᵢ log αᵢ = n/2 − Σᵢ log αᵢ (before any clipping), or
    /// <see cref="double.NaN"/> when no solution exists.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "Nash-MTL");
        int n = gramian.RowCount;
        double scale = GramianInput.Scale(gramian);
        weights.Clear();
        if (scale == 0.0)
        {
            return double.NaN;
        }

        // Solve on the unit gradients: with α = D⁻¹β, D = diag(‖∇Lᵢ‖), the equations αᵢ(Gα)ᵢ = 1 are βᵢ(G̃β)ᵢ = 1, so
        // the Newton iteration and the stationarity test see every gradient at the same scale.
        var scaled = new ScaledGramian(gramian);
        if (scaled.HasZero)
        {
            return double.NaN;
        }

        var h = scaled.Unit;
        double[] mgda = new double[n];
        if (MgdaWeighting.Solve(h, mgda).Value <= StationaryValue)
        {
            return double.NaN;
        }

        double[] alpha = new double[n];
        for (int i = 0; i < n; i++)
        {
            alpha[i] = 1.0;
        }

        double[] gradient = new double[n];
        double[] hessian = new double[n * n];
        double[] step = new double[n];
        bool converged = false;
        double previous = double.PositiveInfinity;
        for (int iteration = 0; iteration < MaxSteps && !converged; iteration++)
        {
            for (int i = 0; i < n; i++)
            {
                double row = 0.0;
                for (int j = 0; j < n; j++)
                {
                    row += h[i, j] * alpha[j];
                    hessian[(i * n) + j] = h[i, j];
                }

                gradient[i] = row - (1.0 / alpha[i]);
                hessian[(i * n) + i] += 1.0 / (alpha[i] * alpha[i]);
                step[i] = -gradient[i];
            }

            if (!SymmetricSolve.TryCholeskySolve(hessian, n, step))
            {
                break;
            }

            double decrement = 0.0;
            for (int i = 0; i < n; i++)
            {
                decrement -= gradient[i] * step[i];
            }

            decrement = Math.Sqrt(Math.Max(decrement, 0.0));
            double length = decrement > 0.25 ? 1.0 / (1.0 + decrement) : 1.0;
            for (int i = 0; i < n; i++)
            {
                alpha[i] += length * step[i];
            }

            // Quadratic convergence ends at the rounding floor of Gα − 1/α, which grows with the size of α near a
            // stationary point: stop there too (a small decrement that no longer halves).
            converged = decrement * decrement <= 1e-24 || (decrement <= 1e-8 && decrement > 0.5 * previous);
            previous = decrement;
        }

        if (!converged)
        {
            return double.NaN;
        }

        double logSum = 0.0;
        for (int i = 0; i < n; i++)
        {
            alpha[i] /= scaled.Norms[i];
            logSum += Math.Log(alpha[i]);
        }

        double norm = Math.Sqrt(Math.Max(Quadratic.Form(gramian, alpha), 0.0));
        double shrink = norm > MaxNorm ? MaxNorm / norm : 1.0;
        for (int i = 0; i < n; i++)
        {
            weights[i] = alpha[i] * shrink;
        }

        return (0.5 * n) - logSum;
    }
}
