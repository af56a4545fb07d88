using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Ppo;
using Pama.TorchSharp.Tensors;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>One forward pass of a causal LM over prompt + response, read at the response tokens.</summary>
/// <param name="LogProbs">Log-probabilities <c>log π(y_t | x, y_&lt;t)</c> of the response tokens <c>[B, T]</c>.</param>
/// <param name="Logits">Logits predicting the response tokens <c>[B, T, V]</c>, in the model's type (the only logits computed).</param>
/// <param name="ResponseHiddenState">Last hidden states at the positions predicting the response tokens <c>[B, T, H]</c> (the value heads' input).</param>
/// <param name="LastHiddenState">Last hidden states of the whole sequence <c>[B, P + T, H]</c> (the graph node MGDA-UB differentiates against).</param>
public sealed record ResponseForward(Tensor LogProbs, Tensor Logits, Tensor ResponseHiddenState, Tensor LastHiddenState)
{
    /// <summary>Vocabulary entries per chunk of rows when the log-softmax and the entropy are read: bounds their temporaries.</summary>
    private const long ChunkElements = 1L << 24;

    /// <summary>Runs <paramref name="model"/> on <paramref name="sequences"/>; position <c>P − 1 + t</c> predicts response token <c>t</c>.</summary>
    /// <param name="model">The policy or the reference.</param>
    /// <param name="sequences">Prompt + response layout.</param>
    public static ResponseForward Run(ICausalLanguageModel model, RolloutSequences sequences)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        // Logits only at the positions P − 1 .. P + T − 1 (the last one predicts past the response and is dropped), as TRL keeps
        // `logits_to_keep = T + 1`; a model that returns every position is read at the same ones.
        long start = sequences.PromptLength - 1, length = sequences.ResponseLength;
        var output = model.Forward(sequences.SequenceIds, sequences.AttentionMask, sequences.PositionIds, logitsToKeep: checked((int)length + 1));
        long kept = output.Logits.shape[1];
        Tensor logits = output.Logits.narrow(1, kept == length + 1 ? 0 : start, length);
        Tensor hidden = output.LastHiddenState.narrow(1, start, length);
        return new ResponseForward(ChosenLogProbs(logits, sequences.ResponseIds), logits, hidden, output.LastHiddenState);
    }

    /// <summary>
    /// <c>z_y − logsumexp(z)</c> at the chosen ids, a chunk of rows at a time, so no full-vocabulary log-softmax of the whole
    /// batch is made (with gradients the chunks' backward is one concatenation). A half-precision model's logits are read in
    /// float32, so log-probabilities and PPO ratios keep their digits.
    /// </summary>
    /// <param name="logits">Logits <c>[B, T, V]</c>.</param>
    /// <param name="ids">Chosen token ids <c>[B, T]</c>.</param>
    internal static Tensor ChosenLogProbs(Tensor logits, Tensor ids)
    {
        Tensor[] parts = [.. Chunks(logits).Zip(Chunks(ids, logits)).Select(pair =>
        {
            Tensor z = Readable(pair.First);
            return z.gather(-1, pair.Second.unsqueeze(-1)).squeeze(-1) - z.logsumexp(-1);
        })];
        return parts.Length == 1 ? parts[0] : cat(parts, 0);
    }

    /// <summary>Mean entropy of the next-token distributions over the masked response tokens.</summary>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    public double MeanEntropy(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        return HostReads.Double(EntropySum(mask) / mask.sum().ClampMin(1.0));
    }

    /// <summary>
    /// <c>Σ_t mask_t H_t</c> with <c>H_t = −Σ_v p_v log p_v</c> of the next-token distribution, without gradients, a chunk of rows
    /// at a time (no full-vocabulary copy of the whole batch); a scalar tensor, so micro-batches add up before one host read.
    /// </summary>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    internal Tensor EntropySum(Tensor mask)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        Tensor total = zeros(1, ScalarType.Float64, mask.device).squeeze(0);
        foreach (var (chunk, chunkMask) in Chunks(Logits).Zip(Chunks(mask, Logits)))
        {
            using var chunkScope = NewDisposeScope();
            Tensor logProbabilities = Readable(chunk).log_softmax(-1);
            Tensor entropy = logProbabilities.exp().mul_(logProbabilities).sum(-1).neg();
            total.PlusInPlace((entropy * chunkMask).sum().to(ScalarType.Float64));
        }
        return total.MoveToOuterDisposeScope();
    }

    private static Tensor Readable(Tensor logits) =>
        logits.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? logits.to(ScalarType.Float32) : logits;

    /// <summary>Rows of <paramref name="values"/> in chunks sized by <paramref name="logits"/>' rows (<c>T × V</c> entries each).</summary>
    private static Tensor[] Chunks(Tensor values, Tensor? logits = null)
    {
        Tensor reference = logits ?? values;
        long perRow = Math.Max(1, reference.shape[1] * reference.shape[2]);
        long rows = Math.Max(1, ChunkElements / perRow);
        return rows >= values.shape[0] ? [values] : values.split(rows, 0);
    }
}
