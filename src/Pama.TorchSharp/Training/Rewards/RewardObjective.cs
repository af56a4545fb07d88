namespace Pama.TorchSharp.Training.Rewards;

/// <summary>Builds <see cref="IRewardObjective"/>s from plain per-sample functions.</summary>
public static class RewardObjective
{
    /// <summary>An objective scoring each sample from its prompt and decoded response text.</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="reward">Maps (prompt, response) to a finite reward.</param>
    public static IRewardObjective FromText(string name, Func<string, string, double> reward)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(reward);
        return new PerSample(name, (batch, b) => reward(batch.Prompts[b], batch.Responses[b]));
    }

    /// <summary>An objective scoring each sample from its prompt and response token ids (no padding).</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="reward">Maps (prompt ids, response ids) to a finite reward.</param>
    public static IRewardObjective FromTokenIds(string name, Func<IReadOnlyList<int>, IReadOnlyList<int>, double> reward)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(reward);
        return new PerSample(name, (batch, b) => reward(batch.PromptTokenIds[b], batch.ResponseTokenIds[b]));
    }

    private sealed class PerSample(string name, Func<RewardBatch, int, double> score) : IRewardObjective
    {
        public string Name { get; } = name;

        public IReadOnlyList<double> Score(RewardBatch batch)
        {
            var rewards = new double[batch.Count];
            for (int b = 0; b < rewards.Length; b++)
            {
                try
                {
                    rewards[b] = score(batch, b);
                }
                catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
                {
                    throw new SampleScoringException(b, e);
                }
            }
            return rewards;
        }
    }
}
