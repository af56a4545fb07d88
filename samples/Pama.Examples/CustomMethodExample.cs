// readme:custom-method
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.Weightings;
// readme:end

namespace Pama.Examples;

// readme:custom-method
/// <summary>All weight to the objective with the lowest mean reward in the batch (ties: the first).</summary>
public sealed class LowestRewardFirst : IWeighting
{
    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Rewards;   // the trainer passes each objective's mean reward

    /// <inheritdoc />
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        ReadOnlySpan<double> rewards = input.Rewards.Span;
        int lowest = 0;
        for (int i = 1; i < rewards.Length; i++)
            if (rewards[i] < rewards[lowest]) lowest = i;
        weights.Clear();
        weights[lowest] = 1.0;
        return double.NaN;                                      // no optimal value of its own
    }
}

/// <summary>The method: a name and the weighting; the trainer does the rest (flat objectives, MPI sums, Σ c_i A^i).</summary>
public sealed class LowestRewardFirstMethod : IMultiObjectiveMethod
{
    /// <inheritdoc />
    public string Name => "lowest-reward-first";

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount) => new LowestRewardFirst();
}
// readme:end

/// <summary>README: the options that train with the custom method.</summary>
public static class CustomMethodExample
{
    /// <summary>Trainer options using <see cref="LowestRewardFirstMethod"/>.</summary>
    public static PamaTrainerOptions Options()
    {
        // readme:custom-method
        var options = new PamaTrainerOptions { Method = new LowestRewardFirstMethod() };
        // readme:end
        return options;
    }
}
