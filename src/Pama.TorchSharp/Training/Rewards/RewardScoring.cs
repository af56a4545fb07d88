namespace Pama.TorchSharp.Training.Rewards;

/// <summary>Scores a batch with every objective and validates the result.</summary>
internal static class RewardScoring
{
    /// <summary>
    /// Returns the rewards as a row-major <c>[B, n]</c> array (sample-major, one column per objective).
    /// </summary>
    /// <exception cref="InvalidRewardException">An objective threw (the original is the inner exception), or returned the wrong count or a
    /// non-finite value.</exception>
    public static double[] Score(IReadOnlyList<IRewardObjective> objectives, RewardBatch batch)
    {
        int n = objectives.Count, count = batch.Count;
        var rewards = new double[count * n];
        for (int i = 0; i < n; i++)
        {
            IRewardObjective objective = objectives[i];
            IReadOnlyList<double> scores = ScoreOne(objective, i, batch)
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

    // What the objective throws is wrapped with its name, and the sample and prompt where the objective scores one sample at a
    // time; cancellation passes through unchanged, as the caller asked for it.
    private static IReadOnlyList<double>? ScoreOne(IRewardObjective objective, int index, RewardBatch batch)
    {
        try
        {
            return objective.Score(batch);
        }
        catch (SampleScoringException e)
        {
            Exception cause = e.InnerException!;
            throw new InvalidRewardException(index, objective.Name, e.SampleIndex,
                $"Objective {index} ('{objective.Name}') failed on sample {e.SampleIndex} (prompt \"{Shorten(batch.Prompts[e.SampleIndex])}\"): {cause.GetType().Name}: {cause.Message}", cause);
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            throw new InvalidRewardException(index, objective.Name, null,
                $"Objective {index} ('{objective.Name}') failed to score the batch of {batch.Count} samples: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
