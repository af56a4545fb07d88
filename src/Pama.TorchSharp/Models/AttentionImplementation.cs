namespace Pama.TorchSharp.Models;

/// <summary>
/// How a <see cref="CausalLanguageModel"/> computes attention, as <c>transformers</c>' <c>attn_implementation</c> chooses
/// between <c>"sdpa"</c> and <c>"eager"</c>.
/// </summary>
public enum AttentionImplementation
{
    /// <summary>
    /// <see cref="Fused"/>, except where <c>transformers</c>' eager attention rounds differently from the model's type and
    /// the model is float64 (the type kept for exact comparisons): the Llama family's eager softmax runs in float32, which
    /// only <see cref="Explicit"/> reproduces. Every training type (float32, bfloat16, float16) runs fused.
    /// </summary>
    Automatic,

    /// <summary>libtorch's fused <c>scaled_dot_product_attention</c>: a flash or memory-efficient kernel where the device
    /// has one; it never holds the <c>B·H·T²</c> attention weights, and the softmax runs in the model's type.</summary>
    Fused,

    /// <summary>The explicit <c>softmax(q kᵀ / √d + mask) v</c> of <c>transformers</c>' eager attention, with its rounding
    /// (the Llama family takes the softmax in float32 whatever the model's type).</summary>
    Explicit,
}
