namespace Pama.Weightings;

/// <summary>
/// A weighting maps what is known about n objectives to a point c of the probability simplex
/// (cᵢ ≥ 0, Σᵢ cᵢ = 1); the training step then combines per-objective advantages (or losses) as
/// Σᵢ cᵢ Aᵢ. This is the single seam between multi-objective methods, in the spirit of the
/// "weighting" abstraction of TorchJD's aggregation package.
/// </summary>
/// <remarks>
/// Implementations: <see cref="PamaWeighting"/> (He and Maghsudi 2025, Theorem 1, from per-objective
/// statistics), <see cref="MgdaWeighting"/> (Sener and Koltun 2018, from a Gramian) and
/// <see cref="PreferenceWeighting"/> (fixed preferences, the MORLHF baseline). Each reads the parts
/// of <see cref="WeightingInput"/> it needs and throws <see cref="ArgumentException"/> if they are missing.
/// </remarks>
public interface IWeighting
{
    /// <summary>Writes the simplex weights for <paramref name="input"/> into <paramref name="weights"/>.</summary>
    /// <param name="input">Per-objective information (statistics, Gramian, or just the objective count).</param>
    /// <param name="weights">Receives n non-negative weights summing to 1; length must be <see cref="WeightingInput.ObjectiveCount"/>.</param>
    /// <exception cref="ArgumentException">The input lacks what this weighting needs, or a length does not match.</exception>
    void ComputeWeights(WeightingInput input, Span<double> weights);
}
