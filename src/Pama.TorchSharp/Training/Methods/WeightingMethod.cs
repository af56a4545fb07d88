using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// A method made of any core <see cref="IWeighting"/>: what the weighting reads is gathered by the trainer over the whole
/// batch (the Noon statistics, the Gramian of the per-objective policy-loss gradients over <see cref="GramianSource"/>,
/// each objective's mean reward), and its weights <c>c</c> form the advantage <c>Σ_i c_i A^i</c>. On tokens whose ratio lies in
/// <c>[1−ε, 1+ε]</c> (every token at a step's first update, where <c>u = 1</c>) the clipped surrogate is linear in the advantage,
/// so the one backward gives exactly <c>Σ_i c_i ∇L^i</c>: for a Gramian reader (MGDA, UPGrad, ...) the aggregated gradient,
/// without keeping <c>n</c> gradients past the solve. Beyond the clip range PPO's surrogate depends on the advantage's sign
/// (<c>A min(u, 1+ε)</c> for <c>A &gt; 0</c>, <c>A max(u, 1−ε)</c> for <c>A &lt; 0</c>), so with standard advantages of mixed signs
/// the one backward is PPO's clipped loss of the combined advantage, as in MGDA-UB; with Noon-clipped advantages it stays exact.
/// </summary>
/// <example><code>
/// // MGDA over a LoRA adapter's parameters (the trainable ones):
/// var method = new WeightingMethod("MGDA", _ => new MgdaWeighting());
/// // All weight to the objective with the lowest mean reward, from the rewards the trainer passes:
/// var worst = new WeightingMethod("worst-first", _ => new YourRewardWeighting());
/// </code></example>
public sealed class WeightingMethod : IMultiObjectiveMethod
{
    private readonly Func<int, IWeighting> _create;

    /// <summary>A method named <paramref name="name"/> whose weighting <paramref name="create"/> makes for <c>n</c> objectives.</summary>
    /// <param name="name">Display and checkpoint name.</param>
    /// <param name="create">Makes the weighting for <c>n</c> objectives (called once per trainer); throws <see cref="ArgumentException"/> for an unsupported <c>n</c>.</param>
    /// <param name="gramianSource">Where a Gramian-reading weighting's gradients are taken (default: every trainable parameter).</param>
    /// <param name="preparation">How the advantages are prepared (default: the standard advantages).</param>
    /// <param name="granularity">Level of the weights (default per batch; finer levels need a weighting that reads no Gramian).</param>
    /// <exception cref="ArgumentException">An empty name or an unknown enum value.</exception>
    public WeightingMethod(
        string name,
        Func<int, IWeighting> create,
        GramianSource? gramianSource = null,
        AdvantagePreparation preparation = AdvantagePreparation.None,
        WeightingGranularity granularity = WeightingGranularity.Batch)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        if (!Enum.IsDefined(preparation)) throw new ArgumentOutOfRangeException(nameof(preparation), preparation, "Unknown preparation.");
        if (!Enum.IsDefined(granularity)) throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Unknown granularity.");
        Name = name;
        _create = create;
        GramianSource = gramianSource ?? GramianSource.TrainableParameters;
        Preparation = preparation;
        Granularity = granularity;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public GramianSource GramianSource { get; }

    /// <inheritdoc />
    public AdvantagePreparation Preparation { get; }

    /// <inheritdoc />
    public WeightingGranularity Granularity { get; }

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        return _create(objectiveCount) ?? throw new ArgumentException($"The weighting factory of {Name} returned null.", nameof(objectiveCount));
    }
}
