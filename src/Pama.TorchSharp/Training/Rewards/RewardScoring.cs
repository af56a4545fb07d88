namespace Pama.TorchSharp.Training.Rewards;

/// <summary>Scores a batch with every objective and validates the result.</summary>
internal static class RewardScoring
{
    /// <summary>
    /// Returns the rewards as a row-major <c>[B, n]</c> array (sample-major, one column per objective).
    /// </summary>
    /// <exception cref="InvalidRewardException">An objective returned the wrong count or a non-finite value.</exception>
    public static double[] Score(IReadOnlyList<IRewardObjective> objectives, RewardBatch batch)
    {
        int n = objectives.Count, count = batch.Count;
        var rewards = new double[count * n];
        for (int i = 0; i < n; i++)
        {
            IRewardObjective objective = objectives[i];
            IReadOnlyList<double> scores = objective.Score(batch)
                ?? throw new InvalidRewardException(i, objective.Name, null, $"Objective {i} ('{objective.Name}') returned null instead of {count} rewards.");
            if (scores.Count != count)
                throw new InvalidRewardException(i, objective.Name, null,
                    $"Objective {i} ('{objective.Name}') returned {scores.Count} rewards for {count} samples.");
            for (int b = 0; b < count; b++)
            {
                double r = scores[b];
                if (!double.IsFinite(r))
                    throw new InvalidRewardException(i, objective.Name, b,
                        $"Objective {i} ('{objective.Name}') returned {r} for sample {b} (prompt \"{Shorten(batch.Prompts[b])}\"); rewards must be finite.");
                rewards[b * n + i] = r;
            }
        }
        return rewards;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
