using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Critic;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>
/// Scores sampled sequences without gradients: policy and reference log-probabilities of the response
/// tokens, the value heads' values and the policy's entropy. With a LoRA adapter the reference is the policy with the
/// adapter disabled.
/// </summary>
internal static class RolloutScoring
{
    public static (Tensor PolicyLogProbs, Tensor ReferenceLogProbs, Tensor Values, double Entropy) Score(
        ICausalLanguageModel policy, ICausalLanguageModel reference, LoraAdapter? referenceAdapter, ValueHeads valueHeads, RolloutSequences sequences)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var policyForward = ResponseForward.Run(policy, sequences);
        Tensor values = valueHeads.call(policyForward.ResponseHiddenState);
        double entropy = policyForward.MeanEntropy(sequences.ResponseMask);
        Tensor referenceLogProbs;
        using (referenceAdapter?.Disable())
            referenceLogProbs = ResponseForward.Run(reference, sequences).LogProbs.to(policyForward.LogProbs.dtype, policyForward.LogProbs.device);
        return (policyForward.LogProbs.MoveToOuterDisposeScope(), referenceLogProbs.MoveToOuterDisposeScope(),
            values.MoveToOuterDisposeScope(), entropy);
    }
}
