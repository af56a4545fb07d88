using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>
/// A rollout: prompts with responses (sampled by <see cref="PamaTrainer{TModel}.Generate(IReadOnlyList{string})"/> or given
/// to <see cref="PamaTrainer{TModel}.FromResponses"/>) and everything PPO needs from them, computed without gradients.
/// Pass it with the rewards to <see cref="PamaTrainer{TModel}.Step(RolloutBatch, Tensor)"/>, or use its tensors in your own loop.
/// </summary>
/// <param name="Sequences">Prompt + response layout (ids, attention mask, positions, response mask).</param>
/// <param name="OldLogProbs">Policy log-probabilities <c>log π_old</c> of the response tokens at rollout <c>[B, T]</c>.</param>
/// <param name="ReferenceLogProbs">Frozen reference log-probabilities <c>log π_ref</c> <c>[B, T]</c>.</param>
/// <param name="Values">Value of every head at every response token <c>[B, T, n]</c>.</param>
/// <param name="Entropy">Mean next-token entropy of the policy over the response tokens.</param>
/// <param name="Texts">Prompts and responses as texts and token ids, for the reward objectives.</param>
public sealed record RolloutBatch(
    RolloutSequences Sequences,
    Tensor OldLogProbs,
    Tensor ReferenceLogProbs,
    Tensor Values,
    double Entropy,
    RewardBatch Texts) : IDisposable
{
    /// <summary>Number of responses <c>B</c>.</summary>
    public int Count => (int)Sequences.Count;

    /// <summary>Frees the rollout's tensors (otherwise the enclosing dispose scope or the finaliser does).</summary>
    public void Dispose()
    {
        Sequences.Dispose();
        OldLogProbs.Dispose();
        ReferenceLogProbs.Dispose();
        Values.Dispose();
    }
}
