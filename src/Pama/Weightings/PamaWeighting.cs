namespace Pama.Weightings;

/// <summary>
/// PAMA's weighting (He and Maghsudi 2025, "Pareto Multi-Objective Alignment for Language Models",
/// Theorem 1): c = argmin over the simplex of (Σᵢ cᵢ aᵢ)² for per-objective statistics aᵢ, in O(n)
/// and without any per-objective gradient. See <see cref="PamaSolver"/> for the closed form.
/// </summary>
/// <remarks>Stateless and thread-safe; reads <see cref="WeightingInput.Statistics"/>.</remarks>
public sealed class PamaWeighting : IWeighting
{
    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Statistics;

    /// <summary>Writes Theorem 1's weights for <see cref="WeightingInput.Statistics"/> into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry one finite statistic per objective.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <exception cref="ArgumentException">
    /// The input has no statistics, a statistic is NaN or ±∞ (named by objective index), or the length of
    /// <paramref name="weights"/> differs from n.
    /// </exception>
    /// <returns>The optimal value s* = Σᵢ cᵢ aᵢ of Theorem 1 (0 when the statistics straddle 0).</returns>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        if (input.Statistics.IsEmpty)
        {
            throw new ArgumentException(
                "PAMA needs one statistic per objective; the input carries none (use WeightingInput.FromStatistics).",
                nameof(input));
        }

        return PamaSolver.Solve(input.Statistics.Span, weights);
    }
}
