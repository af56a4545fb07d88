namespace Pama.Weightings;

/// <summary>
/// UPGrad, the unconflicting projection of gradients (Quinton and Rey 2024, "Jacobian Descent for
/// Multi-Objective Optimization", arXiv 2406.16232): project every gradient, scaled by its preference pᵢ, onto
/// the dual cone of all the gradients, and add the projections.
/// </summary>
/// <remarks>
/// <code>
/// wᵢ = argmin over v ≥ pᵢ eᵢ of vᵀGv   (the projection of pᵢ∇Lᵢ onto {x : ∇Lⱼ·x ≥ 0 for all j}, through G),
/// w  = Σᵢ wᵢ,   d = Σⱼ wⱼ ∇Lⱼ.
/// </code>
/// <para>
/// Defining property: d is non-conflicting, ∇Lⱼ·d = (Gw)ⱼ ≥ 0 for every j (each projection is in the dual cone,
/// and so is their sum). With the default p = (1/n, …, 1/n), d is the mean of the projected gradients, as in
/// the paper and TorchJD. Each of the n projections is solved exactly (see <see cref="DualConeProjection"/>;
/// TorchJD instead normalises G by its trace, adds a 10⁻⁴ ridge and calls quadprog). The weights are not
/// normalised; they are invariant to the scale of G. Cost: n active-set solves of size n, at most O(n⁴) in all,
/// and nothing proportional to the number of parameters once G is formed.
/// Stated accuracy, for gradient norms spanning 10⁻³..10³ and rank-deficient G (solved on the unit gradients, see
/// <see cref="DualConeProjection"/>): ∇Lⱼ·d ≥ −10⁻⁹‖∇Lⱼ‖‖d‖ − 10⁻¹¹‖∇Lⱼ‖Σₖ|wₖ|‖∇Lₖ‖ for every j (the second term the
/// rounding of a float64 Gramian), and each projection within 10⁻⁸‖pᵢ∇Lᵢ‖ (plus that floor) of the exact one.
/// </para>
/// </remarks>
public sealed class UpgradWeighting : IWeighting
{
    private readonly double[]? preferences;

    /// <summary>Creates UPGrad with preference vector p (empty: pᵢ = 1/n for whatever n is given).</summary>
    /// <param name="preferences">Finite, non-negative, not all 0; or empty for the mean.</param>
    /// <exception cref="ArgumentException">An entry is negative or not finite (named by objective), or all are 0.</exception>
    public UpgradWeighting(ReadOnlySpan<double> preferences = default)
    {
        this.preferences = GramianInput.Preferences(preferences, nameof(preferences));
    }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes UPGrad's weights w = Σᵢ argmin over v ≥ pᵢeᵢ of vᵀGv into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: UPGrad solves n problems, not one.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "UPGrad");
        int n = gramian.RowCount;
        double[] p = GramianInput.PreferencesFor(preferences, n);
        var scaled = new ScaledGramian(gramian);
        weights.Clear();
        double[] bound = new double[n];
        double[] projection = new double[n];
        for (int i = 0; i < n; i++)
        {
            if (p[i] == 0.0)
            {
                continue;
            }

            Array.Clear(bound);
            bound[i] = p[i];
            DualConeProjection.Solve(scaled, bound, projection);
            for (int j = 0; j < n; j++)
            {
                weights[j] += projection[j];
            }
        }

        return double.NaN;
    }
}
