using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

public sealed class Gpt2PaddingAndCacheTests
{
    [Fact]
    public void LeftPaddedBatchGivesTheUnpaddedLogitsForRealTokens()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 11);
        int[] shortPrompt = [4, 8, 15], longPrompt = [16, 23, 42, 7, 1, 9];
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad([shortPrompt, longPrompt], padTokenId: 0);
        using (ids)
        using (mask)
        using (Tensor positions = PromptBatch.PositionIds(mask))
        using (CausalLMOutput batched = model.Forward(ids, mask, positions))
        {
            foreach ((int row, int[] prompt) in new[] { (0, shortPrompt), (1, longPrompt) })
            {
                using var single = TinyGpt2.Ids(prompt.Select(i => (long)i).ToArray());
                using Tensor expected = model.forward(single);
                int padding = longPrompt.Length - prompt.Length;
                using Tensor actual = batched.Logits[row].narrow(0, padding, prompt.Length).unsqueeze(0);
                AssertClose(TinyGpt2.Values(expected), TinyGpt2.Values(actual), 1e-10);
            }
        }
    }

    [Fact]
    public void CachedIncrementalForwardEqualsFullForward()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(layers: 3), seed: 12);
        long[] tokens = [3, 1, 4, 1, 5, 9, 2, 6];
        using var all = TinyGpt2.Ids(tokens, [2, 7, 1, 8, 2, 8, 1, 8]);
        using CausalLMOutput full = model.Forward(all);

        using KeyValueCache cache = model.CreateKeyValueCache();
        // Feed a 5-token prefix, then one token at a time.
        using (CausalLMOutput prefix = model.Forward(all.narrow(1, 0, 5), cache: cache))
            AssertClose(TinyGpt2.Values(full.Logits.narrow(1, 0, 5)), TinyGpt2.Values(prefix.Logits), 1e-10);
        Assert.Equal(5, cache.Length);
        for (int t = 5; t < tokens.Length; t++)
        {
            using CausalLMOutput step = model.Forward(all.narrow(1, t, 1), cache: cache);
            AssertClose(TinyGpt2.Values(full.Logits.narrow(1, t, 1)), TinyGpt2.Values(step.Logits), 1e-10);
            AssertClose(TinyGpt2.Values(full.LastHiddenState.narrow(1, t, 1)), TinyGpt2.Values(step.LastHiddenState), 1e-10);
        }
        Assert.Equal(tokens.Length, cache.Length);
    }

    [Fact]
    public void ForwardRejectsBadInputsWithClearMessages()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(vocabulary: 50, context: 8), seed: 1);
        using var outOfVocabulary = TinyGpt2.Ids([1, 50]);
        Assert.Contains("[0, 50)", Assert.Throws<ArgumentException>(() => model.Forward(outOfVocabulary)).Message);
        using var tooLong = TinyGpt2.Ids(Enumerable.Repeat(1L, 9).ToArray());
        Assert.Contains("context length 8", Assert.Throws<ArgumentException>(() => model.Forward(tooLong)).Message);
        using var ids = TinyGpt2.Ids([1, 2, 3]);
        using var wrongMask = ones(1, 2, ScalarType.Int64);
        Assert.Contains("attentionMask", Assert.Throws<ArgumentException>(() => model.Forward(ids, wrongMask)).Message);
    }

    [Fact]
    public void Float32ModelAgreesWithFloat64Model()
    {
        using Gpt2Model model64 = TinyGpt2.Create(TinyGpt2.Config(), seed: 13, scale: 0.3);
        using Gpt2Model model32 = TinyGpt2.Create(TinyGpt2.Config(), seed: 13, scale: 0.3).to(ScalarType.Float32);
        using var ids = TinyGpt2.Ids([5, 6, 7, 8, 9]);
        using Tensor logits32 = model32.forward(ids);
        using Tensor logits64 = model64.forward(ids);
        Assert.Equal(ScalarType.Float32, logits32.dtype);
        AssertClose(TinyGpt2.Values(logits64), TinyGpt2.Values(logits32), 1e-4);
    }

    internal static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"index {i}: expected {expected[i]}, got {actual[i]}");
    }
}
