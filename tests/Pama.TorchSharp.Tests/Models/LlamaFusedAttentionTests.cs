using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// The Llama family's fused <c>scaled_dot_product_attention</c> against the explicit attention of transformers' eager
/// implementation, in float64: on the Hugging Face fixtures (grouped-query attention, left padding, q/k/v biases), with
/// Mistral's sliding window and through the key/value cache of generation.
/// </summary>
public sealed class LlamaFusedAttentionTests
{
    // The explicit path rounds the attention weights to float32, as transformers' eager softmax does; the fused kernel
    // keeps them in float64. float32's unit roundoff (6e-8) times the weights' fan-out bounds what separates them.
    private const double WeightRounding = 1e-6;

    public static IEnumerable<object[]> Fixtures => [["llama"], ["qwen2"]];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FusedEqualsExplicitAndTransformersOnTheFixture(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            Tensor ids = expected["input_ids"], mask = expected["attention_mask"], positions = expected["position_ids"];
            model.AttentionImplementation = AttentionImplementation.Explicit;
            using CausalLMOutput explicitOutput = model.Forward(ids, mask, positions);
            model.AttentionImplementation = AttentionImplementation.Fused;
            using CausalLMOutput fused = model.Forward(ids, mask, positions);

            // Every position, padding included: both paths give a query with no allowed key uniform weights.
            Assert.True(fused.Logits.isfinite().all().item<bool>());
            Assert.InRange(MaxDifference(fused.Logits, explicitOutput.Logits), 0, WeightRounding);
            Assert.InRange(MaxDifference(fused.LastHiddenState, explicitOutput.LastHiddenState), 0, WeightRounding);
            Assert.InRange(HuggingFaceFixture.CompareAtRealTokens(fused.Logits, expected["logits"], mask).MaxDifference, 0, WeightRounding);
            // The two kernels are different computations: they must not be the same code path.
            Assert.True(MaxDifference(fused.Logits, explicitOutput.Logits) > 0);
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void FusedGreedyGenerationGivesTheExplicitTokensAndTransformersTokens(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            var options = new SamplingOptions { MaxNewTokens = 8, Temperature = 0, EosTokenId = 2, PadTokenId = 0 };
            model.AttentionImplementation = AttentionImplementation.Explicit;
            long[] explicitTokens = Generate(model, expected, options);
            model.AttentionImplementation = AttentionImplementation.Fused;
            long[] fusedTokens = Generate(model, expected, options);
            Assert.Equal(explicitTokens, fusedTokens);

            long rows = expected["greedy_sequences"].shape[0], length = expected["greedy_sequences"].shape[1];
            long width = fusedTokens.Length / rows;
            long[] want = expected["greedy_sequences"].data<long>().ToArray();
            foreach (long r in HuggingFaceFixture.FiniteRows(expected["logits"]))
                Assert.Equal(want.Skip((int)(r * length)).Take((int)length), fusedTokens.Skip((int)(r * width)).Take((int)length));
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void AutomaticRunsExplicitInFloat64AndFusedInFloat32()
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected("llama");
        try
        {
            Tensor ids = expected["input_ids"], mask = expected["attention_mask"], positions = expected["position_ids"];
            Assert.Equal(AttentionImplementation.Automatic, model.AttentionImplementation);
            using CausalLMOutput automatic = model.Forward(ids, mask, positions);
            model.AttentionImplementation = AttentionImplementation.Explicit;
            using CausalLMOutput explicitOutput = model.Forward(ids, mask, positions);
            Assert.True(automatic.Logits.eq(explicitOutput.Logits).all().item<bool>());

            using CausalLanguageModel model32 = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), CPU, ScalarType.Float32);
            using CausalLMOutput automatic32 = model32.Forward(ids, mask, positions);
            model32.AttentionImplementation = AttentionImplementation.Fused;
            using CausalLMOutput fused32 = model32.Forward(ids, mask, positions);
            Assert.True(automatic32.Logits.eq(fused32.Logits).all().item<bool>());
            Assert.InRange(HuggingFaceFixture.CompareAtRealTokens(fused32.Logits, expected["logits"], mask).MaxDifference, 0, 1e-4);
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void FusedCachedDecodingWithSlidingWindowEqualsExplicitFullForward()
    {
        var config = new LlamaConfig
        {
            ModelType = "mistral", VocabularySize = 40, HiddenSize = 32, IntermediateSize = 48, LayerCount = 3, HeadCount = 4,
            KeyValueHeadCount = 2, MaxPositionEmbeddings = 64, SlidingWindow = 4, SlidingLayers = [0, 2],
        };
        using var model = new LlamaModel(config, dtype: ScalarType.Float64);
        using (var generator = new Generator(23))
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.3, generator);

        (Tensor prompt, Tensor promptMask) = PromptBatch.LeftPad([[3, 1, 4], [1, 5, 9, 2, 6, 5, 3]], padTokenId: 0);
        using (prompt)
        using (promptMask)
        using (Tensor next = tensor(new long[,] { { 5, 8, 9, 7, 9 }, { 3, 2, 3, 8, 4 } }))
        using (Tensor all = cat([prompt, next], 1))
        using (Tensor allMask = cat([promptMask, ones_like(next)], 1))
        using (Tensor allPositions = PromptBatch.PositionIds(allMask))
        {
            model.AttentionImplementation = AttentionImplementation.Explicit;
            using CausalLMOutput expectedOutput = model.Forward(all, allMask, allPositions);

            model.AttentionImplementation = AttentionImplementation.Fused;
            using CausalLMOutput fullFused = model.Forward(all, allMask, allPositions);
            Assert.InRange(MaxDifference(fullFused.Logits, expectedOutput.Logits), 0, WeightRounding);

            using KeyValueCache cache = model.CreateKeyValueCache();
            int p = (int)prompt.shape[1];
            using (CausalLMOutput head = model.Forward(prompt, promptMask, allPositions.narrow(1, 0, p), cache))
                Assert.InRange(MaxDifference(head.Logits.narrow(1, p - 1, 1), expectedOutput.Logits.narrow(1, p - 1, 1)), 0, WeightRounding);
            for (int t = p; t < all.shape[1]; t++)
            {
                using CausalLMOutput step = model.Forward(all.narrow(1, t, 1), allMask.narrow(1, 0, t + 1), allPositions.narrow(1, t, 1), cache);
                Assert.InRange(MaxDifference(step.Logits, expectedOutput.Logits.narrow(1, t, 1)), 0, WeightRounding);
            }
        }
    }

    private static long[] Generate(CausalLanguageModel model, Dictionary<string, Tensor> expected, SamplingOptions options)
    {
        using var generator = new Generator(1);
        using GenerationResult result = TextGenerator.Generate(model, expected["input_ids"], expected["attention_mask"], options, generator);
        return result.Sequences.cpu().data<long>().ToArray();
    }

    private static double MaxDifference(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to_type(ScalarType.Float64) - b.to_type(ScalarType.Float64)).abs().max().item<double>();
    }
}
