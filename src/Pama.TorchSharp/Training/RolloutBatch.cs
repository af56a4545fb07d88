using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>One step's samples with everything PPO needs from the rollout (no gradients).</summary>
/// <param name="Sequences">Prompt + response layout.</param>
/// <param name="OldLogProbs">Policy log-probabilities of the response tokens at rollout <c>[B, T]</c>.</param>
/// <param name="ReferenceLogProbs">Frozen reference log-probabilities <c>[B, T]</c>.</param>
/// <param name="Values">Value of every head at every response token <c>[B, T, n]</c>.</param>
/// <param name="Entropy">Mean next-token entropy of the policy over the response tokens.</param>
/// <param name="Texts">Prompts and responses as texts and token ids, for the reward objectives.</param>
internal sealed record RolloutBatch(
    RolloutSequences Sequences,
    Tensor OldLogProbs,
    Tensor ReferenceLogProbs,
    Tensor Values,
    double Entropy,
    RewardBatch Texts);
