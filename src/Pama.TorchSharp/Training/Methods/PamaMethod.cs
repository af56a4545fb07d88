using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// PAMA (He and Maghsudi, ECML-PKDD 2025, arXiv 2508.07768). Noon-clip the advantages
/// <c>A^i = max(A'^i, 0)</c>; form the statistics <c>a_i = mean_t A^i_t 1[u_t ≤ 1+ε]</c> at the current
/// policy; Theorem 1 (<see cref="PamaWeighting"/>) gives <c>s* = min_c (Σ c_i a_i)²</c>'s root and the weights
/// <c>c</c> in O(n); the advantage is <c>Σ_i c_i A^i_t</c>. The Noon loss is linear in the advantage, so the
/// one backward that follows equals <c>Σ_i c_i ∇L^i</c>. When <c>s* = 0</c> the batch is Pareto
/// stationary and the policy is left untouched (the rules of <see cref="CombineStage"/>).
/// </summary>
/// <remarks>
/// <see cref="WeightingGranularity.Sequence"/> and <see cref="WeightingGranularity.Token"/> are our
/// extensions: one statistic vector and one Theorem 1 solve per response or per response token.
/// </remarks>
public sealed class PamaMethod : IMultiObjectiveMethod
{
    private static readonly PamaWeighting SharedWeighting = new();

    /// <summary>PAMA at the given granularity.</summary>
    /// <param name="granularity">Level of the statistics and weights (default <see cref="WeightingGranularity.Batch"/>, the paper).</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown granularity.</exception>
    public PamaMethod(WeightingGranularity granularity = WeightingGranularity.Batch)
    {
        if (!Enum.IsDefined(granularity))
            throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Unknown granularity.");
        Granularity = granularity;
    }

    /// <inheritdoc />
    public WeightingGranularity Granularity { get; }

    /// <inheritdoc />
    public string Name => "PAMA";

    /// <inheritdoc />
    public AdvantagePreparation Preparation => AdvantagePreparation.NoonClip;

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        return SharedWeighting;
    }
}
