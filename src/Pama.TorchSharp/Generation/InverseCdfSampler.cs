using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Generation;

/// <summary>
/// Draws one token per row from next-token logits by inverting the cumulative distribution at a given
/// uniform, entirely on the logits' device: no host read-back and no device-side generator.
/// </summary>
/// <remarks>
/// <para>With probabilities <c>p</c> (softmax of the tempered, filtered logits) and their running sums
/// <c>c_i = p_0 + … + p_i</c>, a uniform <c>u ∈ (0, 1]</c> picks the first <c>i</c> with <c>c_i ≥ u · c_{V−1}</c>.
/// Then <c>P(i) = p_i / c_{V−1}</c>, tokens of probability 0 (filtered out) are never picked because their
/// running sum equals their predecessor's, and <c>u = 1</c> picks the last token of positive probability. Scaling by
/// <c>c_{V−1}</c> rather than 1 absorbs the rounding of the sum.</para>
/// <para>Float32 and float64 logits are processed in their own type; float16 and bfloat16 are widened to float32
/// first, since a running sum over tens of thousands of probabilities in an 8- or 11-bit significand loses the
/// small ones entirely.</para>
/// </remarks>
internal static class InverseCdfSampler
{
    /// <summary>The type probabilities and running sums are computed in, for logits of type <paramref name="logits"/>.</summary>
    public static ScalarType ComputeType(ScalarType logits) =>
        logits == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>Picks one token per row.</summary>
    /// <param name="logits">Next-token logits <c>[B, V]</c>.</param>
    /// <param name="options">Temperature, top-k and top-p (already validated).</param>
    /// <param name="uniforms">One draw per row in <c>(0, 1]</c>, <c>[B]</c>, of type <see cref="ComputeType"/> on the logits'
    /// device; unused when the temperature is 0.</param>
    /// <returns>int64 token ids <c>[B]</c>, always in <c>[0, V)</c>, and a bool <c>[B]</c> flag that is true where the row's
    /// logits held NaN (or values whose softmax is not finite); the ids of flagged rows are meaningless.</returns>
    public static (Tensor Tokens, Tensor Invalid) Choose(Tensor logits, SamplingOptions options, Tensor uniforms)
    {
        using var scope = NewDisposeScope();
        long vocabulary = logits.shape[^1];
        if (options.Temperature == 0)
        {
            // argmax propagates NaN (a NaN counts as the largest value), so the chosen logit is NaN iff the row has one.
            Tensor greedy = logits.argmax(-1);
            Tensor invalid = logits.gather(-1, greedy.unsqueeze(-1)).squeeze(-1).isnan();
            return (greedy.MoveToOuterDisposeScope(), invalid.MoveToOuterDisposeScope());
        }

        ScalarType type = ComputeType(logits.dtype);
        Tensor scaled = logits.to_type(type);
        if (options.Temperature != 1) scaled = scaled.DividedBy(options.Temperature);
        if (options.TopK > 0 && options.TopK < vocabulary) scaled = LogitsFilters.TopK(scaled, options.TopK);
        if (options.TopP < 1) scaled = LogitsFilters.TopP(scaled, options.TopP);
        Tensor cumulative = scaled.softmax(-1).cumsum(-1, type);
        Tensor total = cumulative.narrow(-1, vocabulary - 1, 1);
        Tensor threshold = uniforms.view(-1, 1) * total;
        // NaN anywhere in a row makes its softmax, hence its total, NaN.
        Tensor invalidRows = total.squeeze(-1).isfinite().logical_not();
        // The clamp only matters for invalid rows: it keeps their (meaningless) ids safe to embed.
        Tensor tokens = searchsorted(cumulative, threshold).squeeze(-1).Clamp(0L, vocabulary - 1L);
        return (tokens.MoveToOuterDisposeScope(), invalidRows.MoveToOuterDisposeScope());
    }
}
