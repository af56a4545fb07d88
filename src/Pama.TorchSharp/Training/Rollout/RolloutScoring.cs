using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Critic;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>
/// Scores sampled sequences without gradients: policy and reference log-probabilities of the response
/// tokens, the value heads' values and the policy's entropy. With a LoRA adapter the reference is the policy with the
/// adapter disabled.
/// </summary>
/// <remarks>
/// The rows are scored in micro-batches of <c>rowsPerPass</c> rows (all at once when <c>null</c>): every row is
/// scored alone, so the result does not depend on the split. Of each policy pass only what later stages read is kept (the
/// log-probabilities, the values and the entropy's sum); its logits and hidden states are freed before the next pass, and
/// all policy passes are done before the reference runs.
/// </remarks>
internal static class RolloutScoring
{
    public static (Tensor PolicyLogProbs, Tensor ReferenceLogProbs, Tensor Values, double Entropy) Score(
        ICausalLanguageModel policy, ICausalLanguageModel reference, LoraAdapter? referenceAdapter, ValueHeads valueHeads,
        RolloutSequences sequences, long? rowsPerPass = null)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        IReadOnlyList<(long Start, long Count)> parts = MicroBatches.Split(sequences.Count, rowsPerPass);
        var policyLogProbs = new List<Tensor>(parts.Count);
        var values = new List<Tensor>(parts.Count);
        Tensor entropySum = zeros(1, ScalarType.Float64, sequences.ResponseMask.device).squeeze(0);
        foreach (var (start, count) in parts)
        {
            using var partScope = NewDisposeScope();
            RolloutSequences part = Rows(sequences, start, count, parts.Count);
            var forward = ResponseForward.Run(policy, part);
            policyLogProbs.Add(forward.LogProbs.MoveToOuterDisposeScope());
            values.Add(valueHeads.call(forward.ResponseHiddenState).MoveToOuterDisposeScope());
            entropySum.PlusInPlace(forward.EntropySum(part.ResponseMask));
        }
        Tensor logProbs = Join(policyLogProbs);
        var referenceLogProbs = new List<Tensor>(parts.Count);
        using (referenceAdapter?.Disable())
            foreach (var (start, count) in parts)
            {
                using var partScope = NewDisposeScope();
                Tensor part = ResponseForward.Run(reference, Rows(sequences, start, count, parts.Count)).LogProbs;
                referenceLogProbs.Add(part.to(logProbs.dtype, logProbs.device).MoveToOuterDisposeScope());
            }
        // One host read: the entropy's sum over the masked tokens, over their count.
        double[] entropy = HostReads.Doubles(stack([entropySum, sequences.ResponseMask.sum().to(ScalarType.Float64)]));
        return (logProbs.MoveToOuterDisposeScope(), Join(referenceLogProbs).MoveToOuterDisposeScope(),
            Join(values).MoveToOuterDisposeScope(), entropy[0] / Math.Max(entropy[1], 1.0));
    }

    /// <summary>Rows <c>[start, start + count)</c> as views (the sequences themselves when there is one part).</summary>
    private static RolloutSequences Rows(RolloutSequences sequences, long start, long count, int parts) =>
        parts == 1 ? sequences : sequences.Rows(start, count);

    private static Tensor Join(List<Tensor> parts) => parts.Count == 1 ? parts[0] : cat(parts, 0);
}
