using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>The fused <c>scaled_dot_product_attention</c> path against the explicit softmax attention, in float64.</summary>
public sealed class Gpt2FusedAttentionTests
{
    private const double Tolerance = 1e-12;

    [Fact]
    public void FusedAttentionEqualsExplicitAttentionWithLeftPaddingAtEveryPosition()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(layers: 3), seed: 21);
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad([[4, 8, 15], [16, 23, 42, 7, 1, 9], [2]], padTokenId: 0);
        using (ids)
        using (mask)
        using (Tensor positions = PromptBatch.PositionIds(mask))
        {
            model.AttentionImplementation = AttentionImplementation.Explicit;
            using CausalLMOutput expected = model.Forward(ids, mask, positions);
            model.AttentionImplementation = AttentionImplementation.Fused;
            using CausalLMOutput actual = model.Forward(ids, mask, positions);
            // Padding positions included: both paths give padding queries finite (uniform) weights.
            Gpt2PaddingAndCacheTests.AssertClose(TinyGpt2.Values(expected.Logits), TinyGpt2.Values(actual.Logits), Tolerance);
            Gpt2PaddingAndCacheTests.AssertClose(TinyGpt2.Values(expected.LastHiddenState), TinyGpt2.Values(actual.LastHiddenState), Tolerance);
        }
    }

    [Fact]
    public void FusedCachedDecodingEqualsExplicitFullForward()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(layers: 2), seed: 22);
        (Tensor prompt, Tensor promptMask) = PromptBatch.LeftPad([[3, 1, 4], [1, 5, 9, 2, 6]], padTokenId: 0);
        long[][] continuation = [[5, 3, 5, 8], [9, 7, 9, 3]];
        using (prompt)
        using (promptMask)
        using (Tensor next = TinyGpt2.Ids(continuation))
        using (Tensor all = cat([prompt, next], 1))
        using (Tensor allMask = cat([promptMask, ones_like(next)], 1))
        using (Tensor allPositions = PromptBatch.PositionIds(allMask))
        {
            model.AttentionImplementation = AttentionImplementation.Explicit;
            using CausalLMOutput expected = model.Forward(all, allMask, allPositions);

            model.AttentionImplementation = AttentionImplementation.Fused;
            using KeyValueCache cache = model.CreateKeyValueCache();
            cache.Reserve(all.shape[1]);
            int p = (int)prompt.shape[1];
            // Padding queries see no key and average over all keys present, which differ between a prefix and the
            // full sequence; compare from the last prompt position, real in every row.
            using (CausalLMOutput head = model.Forward(prompt, promptMask, allPositions.narrow(1, 0, p), cache))
                Gpt2PaddingAndCacheTests.AssertClose(TinyGpt2.Values(expected.Logits.narrow(1, p - 1, 1)), TinyGpt2.Values(head.Logits.narrow(1, p - 1, 1)), Tolerance);
            for (int t = p; t < all.shape[1]; t++)
            {
                using CausalLMOutput step = model.Forward(all.narrow(1, t, 1), allMask.narrow(1, 0, t + 1), allPositions.narrow(1, t, 1), cache);
                Gpt2PaddingAndCacheTests.AssertClose(TinyGpt2.Values(expected.Logits.narrow(1, t, 1)), TinyGpt2.Values(step.Logits), Tolerance);
            }
            Assert.Equal(all.shape[1], cache.Length);
            Assert.Equal(all.shape[1], cache.Capacity);
        }
    }
}
