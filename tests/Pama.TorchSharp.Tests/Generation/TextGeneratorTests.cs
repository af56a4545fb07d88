using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Generation;

public sealed class TextGeneratorTests
{
    private static readonly int[][] Prompts = [[5, 9, 2], [7], [1, 2, 3, 4, 5], [30, 31]];

    private static GenerationResult Run(Gpt2Model model, SamplingOptions options, ulong seed, int[][]? prompts = null)
    {
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad(prompts ?? Prompts, padTokenId: 0);
        using (ids)
        using (mask)
        using (var generator = new Generator(seed))
            return TextGenerator.Generate(model, ids, mask, options, generator);
    }

    private static long[][] Rows(Tensor t)
    {
        long[] flat = t.cpu().data<long>().ToArray();
        int width = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.Skip(r * width).Take(width).ToArray()).ToArray();
    }

    [Fact]
    public void CachedAndUncachedDecodingGiveIdenticalTokens()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 3);
        var options = new SamplingOptions { MaxNewTokens = 12, Temperature = 1.3, TopK = 20, TopP = 0.95 };
        using GenerationResult cached = Run(model, options, seed: 11);
        using GenerationResult uncached = Run(model, options with { UseKeyValueCache = false }, seed: 11);
        Assert.Equal(Rows(cached.Sequences), Rows(uncached.Sequences));
        Assert.Equal(Rows(cached.ResponseMask), Rows(uncached.ResponseMask));
        Assert.Equal(12, cached.ResponseLength);
    }

    [Fact]
    public void SameSeedReproducesAndDifferentSeedsDiffer()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 3);
        var options = new SamplingOptions { MaxNewTokens = 10, Temperature = 2.0 };
        using GenerationResult a = Run(model, options, seed: 1);
        using GenerationResult b = Run(model, options, seed: 1);
        using GenerationResult c = Run(model, options, seed: 2);
        Assert.Equal(Rows(a.ResponseIds), Rows(b.ResponseIds));
        // 40 tokens from a near-uniform distribution over 61 ids: two seeds agreeing everywhere is practically impossible.
        Assert.NotEqual(Rows(a.ResponseIds), Rows(c.ResponseIds));
    }

    [Fact]
    public void GreedyDecodingEqualsArgMaxOfUnpaddedFullForwardAtEachStep()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 4);
        const int steps = 8;
        using GenerationResult result = Run(model, new SamplingOptions { MaxNewTokens = steps, Temperature = 0 }, seed: 0);
        long[][] responses = Rows(result.ResponseIds);

        for (int row = 0; row < Prompts.Length; row++)
        {
            // Independent decoding: one unpadded sequence, whole-sequence forward, arg-max of the last position.
            var sequence = Prompts[row].Select(i => (long)i).ToList();
            for (int step = 0; step < steps; step++)
            {
                using var input = TinyGpt2.Ids(sequence.ToArray());
                using Tensor logits = model.forward(input);
                double[] last = TinyGpt2.Values(logits.select(1, sequence.Count - 1));
                long argMax = Array.IndexOf(last, last.Max());
                Assert.Equal(argMax, responses[row][step]);
                sequence.Add(argMax);
            }
        }
    }

    [Fact]
    public void TopKOfOneEqualsGreedy()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 5);
        using GenerationResult greedy = Run(model, new SamplingOptions { MaxNewTokens = 9, Temperature = 0 }, seed: 0);
        using GenerationResult topOne = Run(model, new SamplingOptions { MaxNewTokens = 9, Temperature = 1.7, TopK = 1 }, seed: 99);
        Assert.Equal(Rows(greedy.ResponseIds), Rows(topOne.ResponseIds));
    }

    [Fact]
    public void EndTokenStopsRowsPadsAfterwardsAndStopsWhenAllFinished()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(vocabulary: 8), seed: 6);
        var free = new SamplingOptions { MaxNewTokens = 16, Temperature = 1.0 };
        int[][] prompts = [[5, 1, 2], [7], [1, 2, 3, 4, 5], [3, 0]];
        using GenerationResult unconstrained = Run(model, free, seed: 21, prompts);
        long[][] reference = Rows(unconstrained.ResponseIds);

        // With 8 tokens and 16 steps, some token appears in several rows; use row 0's third token as the end token.
        long eos = reference[0][2];
        const long pad = 6;
        Assert.NotEqual(pad, eos);
        using GenerationResult stopped = Run(model, free with { EosTokenId = (int)eos, PadTokenId = (int)pad }, seed: 21, prompts);
        long[][] tokens = Rows(stopped.ResponseIds);
        long[][] masks = Rows(stopped.ResponseMask);

        // Each row is unaffected by the others, and every step draws for every row, so a row matches the
        // unconstrained run up to and including its first end token.
        int[] ends = reference.Select(r => Array.IndexOf(r, eos)).ToArray();
        int expectedLength = ends.All(e => e >= 0) ? ends.Max() + 1 : 16;
        // The data must exercise padding: some row ends before the last generated step.
        Assert.Contains(ends, e => e >= 0 && e < expectedLength - 1);
        Assert.Equal(expectedLength, stopped.ResponseLength);
        for (int row = 0; row < reference.Length; row++)
        {
            int end = ends[row] < 0 ? int.MaxValue : ends[row];
            for (int j = 0; j < expectedLength; j++)
            {
                Assert.Equal(j <= end ? reference[row][j] : pad, tokens[row][j]);
                Assert.Equal(j <= end ? 1L : 0L, masks[row][j]);
            }
        }
    }

    [Fact]
    public void ResultRescoresWithOneForwardPassToTheSamplingLogits()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 7);
        using GenerationResult result = Run(model, new SamplingOptions { MaxNewTokens = 6, Temperature = 0 }, seed: 0);
        using CausalLMOutput output = model.Forward(result.Sequences, result.AttentionMask, result.PositionIds);
        // Logits at position P - 1 + j score response token j; greedy picked their arg-max.
        using Tensor scoring = output.Logits.narrow(1, result.PromptLength - 1, result.ResponseLength);
        Assert.Equal(Rows(result.ResponseIds), Rows(scoring.argmax(-1)));
        Assert.Equal(Rows(PromptBatch.PositionIds(result.AttentionMask)), Rows(result.PositionIds));
    }

    [Fact]
    public void ModelModeIsRestoredAndBadPromptsAreRejected()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 8);
        model.train();
        using (Run(model, new SamplingOptions { MaxNewTokens = 2 }, seed: 0)) { }
        Assert.True(model.training);

        using var ids = TinyGpt2.Ids([1, 2, 3]);
        using var rightPadded = TinyGpt2.Ids([1, 1, 0]);
        using var generator = new Generator(0);
        var error = Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, ids, rightPadded, new SamplingOptions { MaxNewTokens = 4 }, generator));
        Assert.Contains("left", error.Message);
        Assert.Throws<ArgumentException>(() =>
            TextGenerator.Generate(model, ids, ids.ones_like(), new SamplingOptions { MaxNewTokens = 30 }, generator));
    }

    [Fact]
    public void SamplingFrequenciesFollowTheTemperedSoftmax()
    {
        // p = (0.6, 0.3, 0.1); temperature 0.5 gives p² / Σp² = (0.783, 0.196, 0.022).
        double[] p = [0.6, 0.3, 0.1];
        const int rows = 40_000;
        using var logits = tensor(Enumerable.Range(0, rows).SelectMany(_ => p.Select(x => Math.Log(x))).ToArray(), [rows, 3]);
        using var generator = new Generator(123);
        using Tensor drawn = TextGenerator.ChooseTokens(logits, new SamplingOptions { Temperature = 0.5 }, generator);
        long[] tokens = drawn.data<long>().ToArray();
        double z = p.Sum(x => x * x);
        for (int k = 0; k < 3; k++)
        {
            double expected = p[k] * p[k] / z;
            double observed = tokens.Count(t => t == k) / (double)rows;
            // Five standard errors of a binomial proportion.
            Assert.InRange(observed, expected - 5 * Math.Sqrt(expected * (1 - expected) / rows), expected + 5 * Math.Sqrt(expected * (1 - expected) / rows));
        }
    }

    [Fact]
    public void NaNLogitsAreReportedWithTheRow()
    {
        using var logits = tensor(new[] { 0.1, 0.2, 0.3, double.NaN }, [2, 2]);
        using var generator = new Generator(0);
        var error = Assert.Throws<InvalidOperationException>(() => TextGenerator.ChooseTokens(logits, new SamplingOptions(), generator));
        Assert.Contains("row 1", error.Message);
    }

    [Fact]
    public void ModelWithoutCacheSupportIsDecodedByFullRecompute()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 9);
        using var withoutCache = new ModelWithoutCache(model);
        var options = new SamplingOptions { MaxNewTokens = 7, Temperature = 0.9, TopP = 0.9 };
        using GenerationResult reference = Run(model, options, seed: 4);
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad(Prompts, padTokenId: 0);
        using (ids)
        using (mask)
        using (var generator = new Generator(4))
        using (GenerationResult result = TextGenerator.Generate(withoutCache, ids, mask, options, generator))
            Assert.Equal(Rows(reference.Sequences), Rows(result.Sequences));
    }

    [Theory]
    [InlineData("gpt2", true)]
    [InlineData("gpt2", false)]
    [InlineData("qwen2", true)]
    [InlineData("qwen2", false)]
    public void KeepingOnlyTheLastLogitsLeavesTheTokensUnchanged(string family, bool cached)
    {
        // float32, where the output layer on one position is a different matrix product from the one on every position.
        using CausalLanguageModel model = Pama.TorchSharp.Tests.Models.LogitsToKeepTests.Create(family);
        model.to(ScalarType.Float32);
        using var fullLogits = new AllLogitsModel(model, cached);
        foreach (var options in new[]
                 {
                     new SamplingOptions { MaxNewTokens = 6, Temperature = 0 },
                     new SamplingOptions { MaxNewTokens = 6, Temperature = 1.1, TopP = 0.95 },
                 })
        {
            int[][] prompts = [[5, 9, 2], [7], [1, 2, 3, 4, 5], [13, 11]];
            (Tensor ids, Tensor mask) = PromptBatch.LeftPad(prompts, padTokenId: 0);
            using (ids)
            using (mask)
            using (var g1 = new Generator(8))
            using (var g2 = new Generator(8))
            using (var withoutCache = new ModelWithoutCache(model))
            using (GenerationResult kept = cached
                       ? TextGenerator.Generate(model, ids, mask, options, g1)
                       : TextGenerator.Generate(withoutCache, ids, mask, options, g1))
            using (GenerationResult all = TextGenerator.Generate(fullLogits, ids, mask, options, g2))
                Assert.Equal(Rows(all.Sequences), Rows(kept.Sequences));
        }
    }

    /// <summary>Computes the logits of every position whatever <c>logitsToKeep</c> asks, as the generator's prefill did before.</summary>
    private sealed class AllLogitsModel(CausalLanguageModel inner, bool cached) : nn.Module<Tensor, Tensor>("all-logits"), ICausalLanguageModel
    {
        public int VocabularySize => inner.VocabularySize;
        public int HiddenSize => inner.HiddenSize;
        public int ContextLength => inner.ContextLength;
        public bool SupportsKeyValueCache => cached;
        public KeyValueCache CreateKeyValueCache() => inner.CreateKeyValueCache();

        public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0) =>
            inner.Forward(inputIds, attentionMask, positionIds, cache);

        public override Tensor forward(Tensor input) => inner.forward(input);
    }

    /// <summary>A causal LM that does not implement a key/value cache (the interface's default).</summary>
    private sealed class ModelWithoutCache(CausalLanguageModel inner) : nn.Module<Tensor, Tensor>("without-cache"), ICausalLanguageModel
    {
        public int VocabularySize => inner.VocabularySize;
        public int HiddenSize => inner.HiddenSize;
        public int ContextLength => inner.ContextLength;
        public bool SupportsKeyValueCache => false;

        public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0)
        {
            Assert.Null(cache);
            return inner.Forward(inputIds, attentionMask, positionIds, logitsToKeep: logitsToKeep);
        }

        public override Tensor forward(Tensor input) => inner.forward(input);
    }
}
