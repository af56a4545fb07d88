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
    public IWeighting CreateWeighting(int objectiveCount) => Preferences.For(_weighting, objectiveCount, Name);
}

/// <summary>The preference weighting of a method for <c>n</c> objectives: the given one (checked against <c>n</c>) or equal weights.</summary>
internal static class Preferences
{
    public static PreferenceWeighting For(PreferenceWeighting? given, int objectiveCount, string method)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        if (given is null) return new PreferenceWeighting([.. Enumerable.Repeat(1.0, objectiveCount)]);
        if (given.ObjectiveCount != objectiveCount)
            throw new ArgumentException($"{method} has {given.ObjectiveCount} preference weights for {objectiveCount} objectives.", nameof(objectiveCount));
        return given;
    }
}
