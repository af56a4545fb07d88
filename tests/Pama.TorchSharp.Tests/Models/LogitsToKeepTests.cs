using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// <see cref="ICausalLanguageModel.Forward"/>'s <c>logitsToKeep</c> (transformers' <c>logits_to_keep</c>): the logits of
/// the last k positions equal those positions of the full logits, the hidden states stay those of every position, with
/// left padding, position ids and a key/value cache, for GPT-2 and the Llama family (Llama, Qwen2, Mistral) in float64.
/// </summary>
public sealed class LogitsToKeepTests
{
    private const double Tolerance = 1e-12;

    public static IEnumerable<object[]> Families => [["gpt2"], ["llama"], ["llama-untied"], ["qwen2"], ["mistral"]];

    [Theory]
    [MemberData(nameof(Families))]
    public void LastKLogitsEqualTheFullLogitsWithPaddingAndPositionIds(string family)
    {
        using CausalLanguageModel model = Create(family);
        int[] shortPrompt = [4, 8, 15], longPrompt = [16, 3, 12, 7, 1, 9];
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad([shortPrompt, longPrompt], padTokenId: 0);
        using (ids)
        using (mask)
        using (Tensor positions = PromptBatch.PositionIds(mask))
        using (CausalLMOutput full = model.Forward(ids, mask, positions))
        {
            long count = ids.shape[1];
            Assert.Equal([2, count, model.VocabularySize], full.Logits.shape);
            foreach (int k in new[] { 1, 2, (int)count - 1, (int)count })
            {
                using CausalLMOutput kept = model.Forward(ids, mask, positions, logitsToKeep: k);
                Assert.Equal([2, k, model.VocabularySize], kept.Logits.shape);
                AssertClose(full.Logits.narrow(1, count - k, k), kept.Logits);
                // Every position's hidden state, computed the same way.
                Assert.Equal(full.LastHiddenState.shape, kept.LastHiddenState.shape);
                Assert.True(Same(full.LastHiddenState, kept.LastHiddenState), "hidden states must not depend on logitsToKeep");
            }
            using CausalLMOutput zero = model.Forward(ids, mask, positions, logitsToKeep: 0);
            Assert.True(Same(full.Logits, zero.Logits));
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void LastKLogitsThroughTheKeyValueCacheEqualTheFullLogits(string family)
    {
        using CausalLanguageModel model = Create(family);
        long[] tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
        using Tensor all = TinyGpt2.Ids(tokens, [2, 7, 1, 8, 2, 8, 1, 8, 2, 8]);
        using CausalLMOutput full = model.Forward(all);

        using KeyValueCache cache = model.CreateKeyValueCache();
        // Prefill 6 positions keeping the last 2, then 2 positions keeping the last one, then single steps.
        using (CausalLMOutput prefill = model.Forward(all.narrow(1, 0, 6), cache: cache, logitsToKeep: 2))
        {
            AssertClose(full.Logits.narrow(1, 4, 2), prefill.Logits);
            AssertClose(full.LastHiddenState.narrow(1, 0, 6), prefill.LastHiddenState);
        }
        using (CausalLMOutput pair = model.Forward(all.narrow(1, 6, 2), cache: cache, logitsToKeep: 1))
        {
            Assert.Equal([2, 1, model.VocabularySize], pair.Logits.shape);
            AssertClose(full.Logits.narrow(1, 7, 1), pair.Logits);
            AssertClose(full.LastHiddenState.narrow(1, 6, 2), pair.LastHiddenState);
        }
        for (int t = 8; t < tokens.Length; t++)
        {
            using CausalLMOutput step = model.Forward(all.narrow(1, t, 1), cache: cache, logitsToKeep: 1);
            AssertClose(full.Logits.narrow(1, t, 1), step.Logits);
        }
        Assert.Equal(tokens.Length, cache.Length);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void LogitsToKeepOutsideZeroToTThrowsNamingTheParameter(string family)
    {
        using CausalLanguageModel model = Create(family);
        using Tensor ids = TinyGpt2.Ids([1, 2, 3]);
        foreach (int k in new[] { -1, 4, int.MaxValue })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(ids, logitsToKeep: k));
            Assert.Equal("logitsToKeep", error.ParamName);
        }
        // Checked against the new positions, not the cached ones.
        using KeyValueCache cache = model.CreateKeyValueCache();
        model.Forward(ids, cache: cache, logitsToKeep: 3).Dispose();
        using Tensor next = TinyGpt2.Ids([4]);
        Assert.Equal("logitsToKeep", Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(next, cache: cache, logitsToKeep: 2)).ParamName);
        Assert.Equal(3, cache.Length);
    }

    /// <summary>A float64 model of the family in eval mode with every parameter random.</summary>
    internal static CausalLanguageModel Create(string family, int layers = 2) =>
        family == "gpt2" ? TinyGpt2.Create(TinyGpt2.Config(layers: layers, vocabulary: 20), seed: 21) : TinyLlama.Create(family, layers);

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.shape, actual.shape);
        double[] e = TinyGpt2.Values(expected), a = TinyGpt2.Values(actual);
        for (int i = 0; i < e.Length; i++) Assert.InRange(Math.Abs(a[i] - e[i]), 0, Tolerance);
    }

    /// <summary>Same shape and type, and every element equal.</summary>
    internal static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using Tensor equal = a.eq(b), all = equal.all();
        return all.item<bool>();
    }
}
