using static TorchSharp.torch;

namespace Pama.TorchSharp.Generation;

/// <summary>
/// Prompts and their sampled continuations, laid out so that one forward pass over
/// <see cref="Sequences"/> with <see cref="AttentionMask"/> and <see cref="PositionIds"/> re-scores every
/// response token exactly as it was scored while sampling. All tensors are int64, on the model's device,
/// and owned by this object.
/// </summary>
/// <remarks>
/// With prompt length <c>P</c> and <c>N</c> generated steps (<c>N ≤ MaxNewTokens</c>; fewer when every
/// sequence ended), the logits at position <c>P − 1 + j</c> of a forward pass over <see cref="Sequences"/>
/// score response token <c>j</c>.
/// </remarks>
public sealed class GenerationResult : IDisposable
{
    /// <summary>Wraps tensors laid out as described on the properties; the result takes ownership of them.</summary>
    /// <param name="sequences">Prompts followed by responses, <c>[B, P + N]</c>.</param>
    /// <param name="attentionMask">Mask over <paramref name="sequences"/>, <c>[B, P + N]</c>.</param>
    /// <param name="positionIds">Positions over <paramref name="sequences"/>, <c>[B, P + N]</c>.</param>
    /// <param name="responseMask">Mask over the responses, <c>[B, N]</c>.</param>
    /// <param name="promptLength">Prompt length <c>P</c>.</param>
    /// <exception cref="ArgumentException">The shapes disagree.</exception>
    public GenerationResult(Tensor sequences, Tensor attentionMask, Tensor positionIds, Tensor responseMask, int promptLength)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(attentionMask);
        ArgumentNullException.ThrowIfNull(positionIds);
        ArgumentNullException.ThrowIfNull(responseMask);
        if (sequences.dim() != 2 || promptLength < 1 || promptLength > sequences.shape[1])
            throw new ArgumentException($"sequences [{string.Join(", ", sequences.shape)}] must be [B, P + N] with P = {promptLength} >= 1.", nameof(sequences));
        if (!attentionMask.shape.SequenceEqual(sequences.shape) || !positionIds.shape.SequenceEqual(sequences.shape))
            throw new ArgumentException("attentionMask and positionIds must have the shape of sequences.", nameof(attentionMask));
        if (responseMask.dim() != 2 || responseMask.shape[0] != sequences.shape[0] || responseMask.shape[1] != sequences.shape[1] - promptLength)
            throw new ArgumentException($"responseMask [{string.Join(", ", responseMask.shape)}] must be [B, N] = [{sequences.shape[0]}, {sequences.shape[1] - promptLength}].", nameof(responseMask));
        Sequences = sequences;
        AttentionMask = attentionMask;
        PositionIds = positionIds;
        ResponseMask = responseMask;
        PromptLength = promptLength;
        ResponseIds = sequences.narrow(1, promptLength, sequences.shape[1] - promptLength);
    }

    /// <summary>Left-padded prompts followed by the responses, <c>[B, P + N]</c>.</summary>
    public Tensor Sequences { get; }

    /// <summary>1 for real prompt tokens and response tokens up to and including the end token, 0 for padding, <c>[B, P + N]</c>.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Positions used while sampling, <c>[B, P + N]</c>: 0 on left padding, then 0, 1, 2, … from each row's
    /// first real prompt token through the response (they keep counting after an end token, where the mask is 0).</summary>
    public Tensor PositionIds { get; }

    /// <summary>The generated tokens, <c>[B, N]</c> (a view of the last <c>N</c> columns of <see cref="Sequences"/>);
    /// after a sequence's end token they hold the pad token.</summary>
    public Tensor ResponseIds { get; }

    /// <summary>1 for response tokens up to and including the first end token, 0 after it, <c>[B, N]</c>.</summary>
    public Tensor ResponseMask { get; }

    /// <summary>Prompt length <c>P</c> (including left padding).</summary>
    public int PromptLength { get; }

    /// <summary>Number of generated steps <c>N</c>.</summary>
    public int ResponseLength => (int)ResponseIds.shape[1];

    /// <inheritdoc />
    public void Dispose()
    {
        ResponseIds.Dispose();
        Sequences.Dispose();
        AttentionMask.Dispose();
        PositionIds.Dispose();
        ResponseMask.Dispose();
    }
}
