using Pama.TorchSharp.Tensors;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>
/// Prompts and responses laid out for scoring: each row is a left-padded prompt of width <c>P</c> followed by a
/// right-padded response of width <c>T</c>. Position <c>P − 1 + t</c> predicts response token <c>t</c>.
/// </summary>
/// <param name="SequenceIds">Token ids <c>[B, P + T]</c> (int64).</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding <c>[B, P + T]</c> (int64).</param>
/// <param name="PositionIds">Positions <c>[B, P + T]</c> (int64), those used while sampling (see <see cref="Generation.PromptBatch.PositionIds"/>).</param>
/// <param name="PromptLength"><c>P</c>.</param>
/// <param name="ResponseMask">1 on response tokens, 0 on padding after the end <c>[B, T]</c>, in the policy's floating type.</param>
public sealed record RolloutSequences(Tensor SequenceIds, Tensor AttentionMask, Tensor PositionIds, long PromptLength, Tensor ResponseMask) : IDisposable
{
    /// <summary>The layout of sampled sequences, taking over the tensors of <paramref name="generated"/> (do not dispose both).</summary>
    /// <param name="generated">Output of <see cref="Generation.TextGenerator.Generate"/>.</param>
    /// <param name="floating">Floating type of the response mask: the policy's.</param>
    public static RolloutSequences FromGeneration(Generation.GenerationResult generated, ScalarType floating)
    {
        ArgumentNullException.ThrowIfNull(generated);
        return new RolloutSequences(generated.Sequences, generated.AttentionMask, generated.PositionIds,
            generated.PromptLength, generated.ResponseMask.to(floating));
    }

    /// <summary>Number of rows <c>B</c>.</summary>
    public long Count => SequenceIds.shape[0];

    /// <summary>Response width <c>T</c>.</summary>
    public long ResponseLength => ResponseMask.shape[1];

    /// <summary>Response token ids <c>[B, T]</c> (a view of <see cref="SequenceIds"/>).</summary>
    public Tensor ResponseIds => SequenceIds[.., (int)PromptLength..];

    /// <summary>The response token ids of every row without padding (through the end-of-text token, if sampled), copied to the host.</summary>
    public int[][] ResponseTokenIds()
    {
        // One copy to the host: each row's response length, then its ids.
        using var scope = NewDisposeScope();
        int width = (int)ResponseLength;
        long[] host = HostReads.Longs(cat([ResponseMask.sum(1, keepdim: true).to(ScalarType.Int64), ResponseIds.to(ScalarType.Int64)], 1));
        var ids = new int[host.Length / (width + 1)][];
        for (int b = 0; b < ids.Length; b++)
        {
            int start = b * (width + 1);
            ids[b] = new int[host[start]];
            for (int t = 0; t < ids[b].Length; t++) ids[b][t] = checked((int)host[start + 1 + t]);
        }
        return ids;
    }

    /// <summary>The rows in <paramref name="rows"/> (int64 indices on the same device), e.g. a minibatch.</summary>
    public RolloutSequences Select(Tensor rows) => new(
        SequenceIds.index_select(0, rows), AttentionMask.index_select(0, rows), PositionIds.index_select(0, rows),
        PromptLength, ResponseMask.index_select(0, rows));

    /// <summary>Rows <c>[start, start + count)</c> as views (e.g. a micro-batch).</summary>
    internal RolloutSequences Rows(long start, long count) => new(
        SequenceIds.narrow(0, start, count), AttentionMask.narrow(0, start, count), PositionIds.narrow(0, start, count),
        PromptLength, ResponseMask.narrow(0, start, count));

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        SequenceIds.Dispose();
        AttentionMask.Dispose();
        PositionIds.Dispose();
        ResponseMask.Dispose();
    }
}
