namespace Pama.Weightings;

/// <summary>
/// DualProj (Quinton and Rey 2024, "Jacobian Descent for Multi-Objective Optimization", arXiv 2406.16232):
/// project the preference-weighted combination of the gradients onto their dual cone.
/// </summary>
/// <remarks>
/// <code>w = argmin over v ≥ p of vᵀGv,   d = Σⱼ wⱼ ∇Lⱼ = the projection of Σᵢ pᵢ∇Lᵢ onto {x : ∇Lⱼ·x ≥ 0 for all j}.</code>
/// <para>
/// Defining property: d is non-conflicting, (Gw)ⱼ ≥ 0 for every j. Default p = (1/n, …, 1/n) (the projected mean
/// gradient, as in TorchJD). Solved exactly by an active-set method (see <see cref="DualConeProjection"/>), with
/// no ridge on G. Cost: one active-set solve of size n, at most O(n³) per active-set change.
/// Stated accuracy, for gradient norms spanning 10⁻³..10³ and rank-deficient G (solved on the unit gradients):
/// ∇Lⱼ·d ≥ −10⁻⁹‖∇Lⱼ‖‖d‖ − 10⁻¹¹‖∇Lⱼ‖Σₖ|wₖ|‖∇Lₖ‖ for every j, and d within 10⁻⁸‖Σᵢpᵢ∇Lᵢ‖ (plus that floor) of the
/// exact projection.
/// </para>
/// </remarks>
public sealed class DualProjWeighting : IWeighting
{
    private readonly double[]? preferences;

    /// <summary>Creates DualProj with preference vector p (empty: pᵢ = 1/n for whatever n is given).</summary>
    /// <param name="preferences">Finite, non-negative, not all 0; or empty for the mean.</param>
    /// <exception cref="ArgumentException">An entry is negative or not finite (named by objective), or all are 0.</exception>
    public DualProjWeighting(ReadOnlySpan<double> preferences = default)
    {
        this.preferences = GramianInput.Preferences(preferences, nameof(preferences));
    }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes DualProj's weights w = argmin over v ≥ p of vᵀGv into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns>The optimal value wᵀGw = ‖d‖², the squared norm of the projection.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "DualProj");
        int n = gramian.RowCount;
        double[] p = GramianInput.PreferencesFor(preferences, n);
        DualConeProjection.Solve(new ScaledGramian(gramian), p, weights);
        return Math.Max(Quadratic.Form(gramian, weights), 0.0);
    }
}
