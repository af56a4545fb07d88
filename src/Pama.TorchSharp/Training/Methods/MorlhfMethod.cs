using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// MORLHF: <c>A_t = Σ_i w_i A'^i_t</c> with fixed preference weights on the standard advantages
/// (negatives kept). Because the weights sum to 1 and GAE is linear in rewards and values, this equals
/// PPO on the scalarised reward <c>Σ_i w_i R^i</c> with the KL penalty counted once. The weights come from
/// the core <see cref="PreferenceWeighting"/>, whose one rule applies: nonnegative, finite, not all zero,
/// normalised to sum 1.
/// </summary>
public sealed class MorlhfMethod : IMultiObjectiveMethod
{
    private readonly PreferenceWeighting? _weighting;

    /// <summary>MORLHF with equal weights <c>1/n</c>.</summary>
    public MorlhfMethod()
    {
    }

    /// <summary>MORLHF with the given preferences (normalised to sum 1).</summary>
    /// <param name="preferences">One finite, nonnegative preference per objective, not all zero.</param>
    /// <exception cref="ArgumentException">See <see cref="PreferenceWeighting(double[])"/>; the message names the objective.</exception>
    public MorlhfMethod(params double[] preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        _weighting = new PreferenceWeighting(preferences);
    }

    /// <inheritdoc />
    public string Name => "MORLHF";

    /// <summary>The normalised preference weights, or <c>null</c> for equal weights.</summary>
    public IReadOnlyList<double>? Weights => _weighting?.Weights;

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        if (_weighting is null) return new PreferenceWeighting([.. Enumerable.Repeat(1.0, objectiveCount)]);
        if (_weighting.ObjectiveCount != objectiveCount)
            throw new ArgumentException($"{_weighting.ObjectiveCount} preference weights for {objectiveCount} objectives.", nameof(objectiveCount));
        return _weighting;
    }
}
