namespace Pama.Weightings;

/// <summary>Argument checks shared by the weightings that read <see cref="WeightingInput.Rewards"/>.</summary>
internal static class RewardInput
{
    /// <summary>The input's mean rewards, checked: present, one per objective, all finite (else named by objective).</summary>
    public static ReadOnlySpan<double> Read(WeightingInput input, int objectiveCount, string method)
    {
        if (input.Rewards.IsEmpty)
        {
            throw new ArgumentException(
                $"{method} needs each objective's mean reward; the input carries none (use WeightingInput.FromRewards).",
                nameof(input));
        }

        ReadOnlySpan<double> rewards = input.Rewards.Span;
        if (rewards.Length != objectiveCount)
        {
            throw new ArgumentException(
                $"The input has {rewards.Length} mean rewards but the weighting was created for {objectiveCount} objectives.",
                nameof(input));
        }

        for (int i = 0; i < rewards.Length; i++)
        {
            if (!double.IsFinite(rewards[i]))
            {
                throw new ArgumentException($"Mean reward of objective {i} is {PamaSolver.Describe(rewards[i])}.", nameof(input));
            }
        }

        return rewards;
    }

    /// <summary>
    /// zᵢ* − fᵢ for weightings that divide by it or take its logarithm; throws (naming the objective) unless it is
    /// positive and finite, which a margin negligible against the rewards' magnitude could break by rounding.
    /// </summary>
    public static double PositiveShortfall(int objective, double ideal, double reward, string method)
    {
        double shortfall = ideal - reward;
        if (!(shortfall > 0.0 && double.IsFinite(shortfall)))
        {
            throw new ArgumentException(
                $"The shortfall of objective {objective} from its ideal point ({ideal} − {reward}) is {shortfall}; {method} needs it " +
                "positive and finite (use a margin that is not negligible against the rewards).",
                "input");
        }

        return shortfall;
    }

    /// <summary>Checks the input's objective count and the length of the weights span.</summary>
    public static void CheckCounts(WeightingInput input, int objectiveCount, Span<double> weights)
    {
        if (input.ObjectiveCount != objectiveCount)
        {
            throw new ArgumentException(
                $"The input has {input.ObjectiveCount} objectives but the weighting was created for {objectiveCount}.",
                nameof(input));
        }

        if (weights.Length != objectiveCount)
        {
            throw new ArgumentException(
                $"The weights span has length {weights.Length} but there are {objectiveCount} objectives.", nameof(weights));
        }
    }

    /// <summary>Checks the length of a state span.</summary>
    public static void CheckStateLength(int length, int stateLength)
    {
        if (length != stateLength)
        {
            throw new ArgumentException($"The state has length {length} but this weighting's state has {stateLength} entries.", "state");
        }
    }

    /// <summary>Writes the softmax of <paramref name="weights"/> in place, shifted by its maximum so nothing overflows.</summary>
    public static void SoftmaxInPlace(Span<double> weights)
    {
        double max = double.NegativeInfinity;
        foreach (double x in weights)
        {
            max = Math.Max(max, x);
        }

        double sum = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = double.IsNegativeInfinity(weights[i]) ? 0.0 : Math.Exp(weights[i] - max);
            sum += weights[i];
        }

        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }
    }
}
