using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// The responses of one rollout, handed to every <see cref="IRewardObjective"/>. Row <c>b</c> of every
/// member describes the same sample; with several samples per prompt the prompt is repeated.
/// </summary>
/// <param name="Prompts">Prompt text of each sample.</param>
/// <param name="Responses">Decoded response text of each sample, without the end-of-text token that ended it (the token itself stays in <paramref name="ResponseTokenIds"/>).</param>
/// <param name="PromptTokenIds">Prompt token ids of each sample, without padding.</param>
/// <param name="ResponseTokenIds">Response token ids of each sample, without padding.</param>
/// <param name="SequenceIds">Left-padded prompt followed by the right-padded response, int64 <c>[B, P + T]</c>, on the policy's device. Owned by the trainer: valid only during scoring.</param>
/// <param name="AttentionMask">1 for real tokens of <paramref name="SequenceIds"/>, 0 for padding, <c>[B, P + T]</c>. Owned by the trainer.</param>
public sealed record RewardBatch(
    IReadOnlyList<string> Prompts,
    IReadOnlyList<string> Responses,
    IReadOnlyList<int[]> PromptTokenIds,
    IReadOnlyList<int[]> ResponseTokenIds,
    Tensor SequenceIds,
    Tensor AttentionMask)
{
    /// <summary>Number of samples (responses) in the batch.</summary>
    public int Count => Responses.Count;
}
