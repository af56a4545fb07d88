using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Which keys each query may attend to: <c>Allowed</c> (bool, broadcastable to <c>[B, heads, T, P + T]</c>) and, when
/// the fused <c>scaled_dot_product_attention</c> kernel runs, the same as an additive <c>Bias</c> in the model's type
/// (0 where allowed, the type's most negative finite value elsewhere, so that a query with no allowed key, a padding
/// position, gets uniform weights rather than NaN, as on the explicit path).
/// </summary>
internal readonly record struct AttentionMask(Tensor Allowed, Tensor? Bias)
{
    /// <summary>The mask for <paramref name="allowed"/>, with the additive bias when <paramref name="fused"/>.</summary>
    public static AttentionMask Create(Tensor allowed, bool fused, ScalarType dtype)
    {
        if (!fused) return new AttentionMask(allowed, null);
        using Scalar lowest = finfo(dtype).min.ToScalar();
        Tensor bias = zeros(allowed.shape, dtype, allowed.device).masked_fill_(allowed.logical_not(), lowest);
        return new AttentionMask(allowed, bias);
    }
}
