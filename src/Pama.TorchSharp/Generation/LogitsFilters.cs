using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Generation;

/// <summary>Restrictions of next-token logits used by sampling; removed tokens get −∞.</summary>
public static class LogitsFilters
{
    /// <summary>Keeps the <paramref name="k"/> largest logits of each row (ties with the k-th are kept).</summary>
    /// <param name="logits">Logits <c>[B, V]</c>.</param>
    /// <param name="k">Number of tokens to keep; 0 or at least <c>V</c> keeps all.</param>
    /// <returns>New logits, <c>[B, V]</c>.</returns>
    public static Tensor TopK(Tensor logits, int k)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0 || k >= logits.shape[^1]) return logits.clone();
        using var scope = NewDisposeScope();
        Tensor kth = logits.topk(k, dim: -1).values.narrow(-1, k - 1, 1);
        return logits.MaskedFill(logits.lt(kth), double.NegativeInfinity).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Nucleus filter (Holtzman et al., 2020): keeps, per row, the most likely tokens in decreasing
    /// order until their softmax probability first reaches <paramref name="p"/>; the most likely token is always kept.
    /// </summary>
    /// <param name="logits">Logits <c>[B, V]</c>.</param>
    /// <param name="p">Probability mass to keep, in (0, 1]; 1 keeps all.</param>
    /// <returns>New logits, <c>[B, V]</c>.</returns>
    public static Tensor TopP(Tensor logits, double p)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (!(p > 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1].");
        if (p == 1) return logits.clone();
        using var scope = NewDisposeScope();
        (Tensor sorted, Tensor order) = logits.sort(-1, descending: true);
        Tensor probabilities = sorted.softmax(-1);
        // A token is dropped when the tokens ranked before it already hold at least p.
        Tensor before = probabilities.cumsum(-1) - probabilities;
        Tensor dropSorted = before.Ge(p);
        Tensor drop = zeros_like(dropSorted).scatter(-1, order, dropSorted);
        return logits.MaskedFill(drop, double.NegativeInfinity).MoveToOuterDisposeScope();
    }
}
