using TorchSharp;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A Hugging Face sequence classifier (for example a reward model or a sentiment classifier):
/// (input ids <c>[B, L]</c> int64, attention mask <c>[B, L]</c>) → logits <c>[B, LabelCount]</c>.
/// Load one with <see cref="AutoModelForSequenceClassification.FromPretrained"/>.
/// </summary>
public abstract class SequenceClassifier : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>Creates the classifier's bookkeeping; derived classes register their modules.</summary>
    /// <param name="name">Module name.</param>
    /// <param name="labels">Label names in id order (<c>id2label</c>).</param>
    /// <param name="padTokenId">Padding token id from <c>config.json</c>, if any.</param>
    /// <param name="maxPositions">Longest sequence the model can read.</param>
    protected SequenceClassifier(string name, IReadOnlyList<string> labels, int? padTokenId, int maxPositions) : base(name)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count == 0) throw new ArgumentException("A classifier needs at least one label.", nameof(labels));
        Labels = labels.ToArray();
        PadTokenId = padTokenId;
        MaxPositions = maxPositions;
    }

    /// <summary>Label names in id order, from <c>id2label</c> (<c>LABEL_0</c>, ... where the config names none).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Number of logits per sequence.</summary>
    public int LabelCount => Labels.Count;

    /// <summary>The padding token id of <c>config.json</c>, or <c>null</c> where it has none.</summary>
    public int? PadTokenId { get; }

    /// <summary>Longest sequence (in tokens) the model reads (its position embeddings).</summary>
    public int MaxPositions { get; }

    /// <summary>Device of the parameters.</summary>
    public abstract Device Device { get; }

    /// <summary>Element type of the parameters.</summary>
    public abstract ScalarType DType { get; }

    /// <summary>Index of a label by name (ordinal comparison, then case-insensitive).</summary>
    /// <param name="label">Label name as in <c>id2label</c>, e.g. <c>POSITIVE</c>.</param>
    /// <exception cref="ArgumentException">No label has that name; the message lists the labels.</exception>
    public int LabelIndex(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        for (int i = 0; i < Labels.Count; i++)
            if (string.Equals(Labels[i], label, StringComparison.Ordinal)) return i;
        int[] folded = Enumerable.Range(0, Labels.Count)
            .Where(i => string.Equals(Labels[i], label, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (folded.Length == 1) return folded[0];
        throw new ArgumentException($"The classifier has no label '{label}'; its labels are {string.Join(", ", Labels.Select(l => $"'{l}'"))}.", nameof(label));
    }

    /// <summary>Checks the inputs every classifier takes and moves them to <see cref="Device"/>.</summary>
    /// <returns>The ids (int64) and the mask (int64), on the model's device, in the caller's dispose scope.</returns>
    /// <exception cref="ArgumentException">A tensor has the wrong shape or type, an id is outside the vocabulary,
    /// or the sequence is longer than <see cref="MaxPositions"/>.</exception>
    protected (Tensor Ids, Tensor Mask) CheckInputs(Tensor inputIds, Tensor attentionMask, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (inputIds.dim() != 2 || inputIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"inputIds must be int64 [B, L], got {inputIds.dtype} [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        if (!attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"attentionMask must be [{string.Join(", ", inputIds.shape)}] like inputIds, got [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        if (inputIds.shape[1] == 0) throw new ArgumentException("inputIds must hold at least one position.", nameof(inputIds));
        if (inputIds.shape[1] > MaxPositions)
            throw new ArgumentException($"inputIds has {inputIds.shape[1]} positions, the model reads at most {MaxPositions}.", nameof(inputIds));
        if (inputIds.numel() > 0)
        {
            using var range = NewDisposeScope();
            long[] extremes = HostReads.Longs(stack([inputIds.min(), inputIds.max()]));   // one read for both
            long min = extremes[0], max = extremes[1];
            if (min < 0 || max >= vocabularySize)
                throw new ArgumentException($"inputIds must lie in [0, {vocabularySize}), got values in [{min}, {max}].", nameof(inputIds));
        }
        Device device = Device;
        return (inputIds.to(device), attentionMask.to(ScalarType.Int64, device));
    }

    /// <summary>
    /// Finishes loading a newly built classifier: runs <paramref name="load"/> (weights, and dtype or device moves),
    /// switches to evaluation mode and returns it; if anything fails the classifier is disposed and the error
    /// rethrown, so a caller never gets one half-loaded.
    /// </summary>
    private protected static TClassifier LoadedOrDisposed<TClassifier>(TClassifier model, Action<TClassifier> load)
        where TClassifier : SequenceClassifier
    {
        try
        {
            load(model);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Picks each row's hidden state at its last token that is not <see cref="PadTokenId"/>, as transformers'
    /// decoder classifiers do (the rightmost non-pad id, so left and right padding both work; position 0 for a row
    /// of pads only); the last position where the config names no pad token, which allows one row only.
    /// </summary>
    /// <param name="hidden">Hidden states <c>[B, L, H]</c>.</param>
    /// <param name="ids">Token ids <c>[B, L]</c> on the same device.</param>
    /// <returns>Pooled states <c>[B, H]</c>.</returns>
    /// <exception cref="ArgumentException">Several rows and no pad token id.</exception>
    protected Tensor AtLastNonPadToken(Tensor hidden, Tensor ids)
    {
        long batch = ids.shape[0], length = ids.shape[1];
        Tensor last;
        if (PadTokenId is { } pad)
        {
            using Tensor positions = KeptScalars.Arange(0, length, ScalarType.Int64, ids.device).unsqueeze(0);
            using Tensor real = ids.Ne(pad).to(ScalarType.Int64);
            using Tensor product = positions * real;
            last = product.argmax(1);
        }
        else
        {
            if (batch != 1)
                throw new ArgumentException("config.json names no pad_token_id, so the classifier cannot find the last token of several rows; pass one row at a time.", nameof(ids));
            last = KeptScalars.Full([1], length - 1, ScalarType.Int64, ids.device);
        }
        using (last)
        using (Tensor rows = KeptScalars.Arange(0, batch, ScalarType.Int64, ids.device))
        {
            return hidden[rows, last];
        }
    }
}
