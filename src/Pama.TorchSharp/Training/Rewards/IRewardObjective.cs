namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// One objective <c>R^i(x, y)</c> to be aligned to: scores every response of a rollout with one
/// finite number (higher is better). The reward enters the last response token's per-token reward.
/// </summary>
public interface IRewardObjective
{
    /// <summary>Name of the objective, used in metrics and error messages.</summary>
    string Name { get; }

    /// <summary>Scores every sample of <paramref name="batch"/>.</summary>
    /// <returns>Exactly <see cref="RewardBatch.Count"/> finite rewards, one per sample, in batch order.</returns>
    IReadOnlyList<double> Score(RewardBatch batch);
}
