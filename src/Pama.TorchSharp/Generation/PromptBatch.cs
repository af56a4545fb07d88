using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Generation;

/// <summary>Left padding of token-id lists into a batch, and the matching position ids.</summary>
/// <remarks>Prompts are padded on the left so that every prompt ends at the same column and the
/// first generated token of every row is appended at the same place.</remarks>
public static class PromptBatch
{
    /// <summary>Left-pads prompts into int64 ids <c>[B, P]</c> and mask <c>[B, P]</c> (1 = real token), <c>P</c> the longest prompt.</summary>
    /// <param name="prompts">Token ids per prompt; each must be non-empty.</param>
    /// <param name="padTokenId">Id written into the padding (masked out, so any valid id works).</param>
    /// <param name="device">Device of the returned tensors; <c>null</c> means CPU.</param>
    /// <exception cref="ArgumentException">The list is empty, or a prompt is empty; the message names the prompt index.</exception>
    public static (Tensor Ids, Tensor Mask) LeftPad(IReadOnlyList<IReadOnlyList<int>> prompts, int padTokenId, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        int length = 0;
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null || prompts[i].Count == 0) throw new ArgumentException($"Prompt {i} is empty.", nameof(prompts));
            length = Math.Max(length, prompts[i].Count);
        }

        var ids = new long[prompts.Count * length];
        var mask = new long[prompts.Count * length];
        for (int i = 0; i < prompts.Count; i++)
        {
            int offset = length - prompts[i].Count;
            for (int j = 0; j < length; j++)
            {
                bool real = j >= offset;
                ids[i * length + j] = real ? prompts[i][j - offset] : padTokenId;
                mask[i * length + j] = real ? 1 : 0;
            }
        }
        return (tensor(ids, [prompts.Count, length], ScalarType.Int64, device), tensor(mask, [prompts.Count, length], ScalarType.Int64, device));
    }

    /// <summary>
    /// Position ids for a padded batch: each real token's position is the number of real tokens before it,
    /// so a left-padded sequence gets the same positions as the unpadded one; padding gets 0.
    /// </summary>
    /// <param name="attentionMask">Mask <c>[B, T]</c>, 1 = real token.</param>
    /// <returns>int64 <c>[B, T]</c> on the mask's device.</returns>
    public static Tensor PositionIds(Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(attentionMask);
        using var scope = NewDisposeScope();
        Tensor real = attentionMask.Ne(0).to_type(ScalarType.Int64);
        return real.cumsum(1).Minus(1L).ClampMin(0L).MoveToOuterDisposeScope();
    }
}
