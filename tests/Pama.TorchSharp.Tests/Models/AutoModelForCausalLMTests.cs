using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// <see cref="AutoModelForCausalLM"/> against the float64 outputs transformers 5.17 computed for its own checkpoints
/// (TestData/hf): logits, last hidden states and greedy generations, plus save/load round trips.
/// </summary>
public sealed class AutoModelForCausalLMTests
{
    [Theory]
    [MemberData(nameof(HuggingFaceFixture.CausalLanguageModels), MemberType = typeof(HuggingFaceFixture))]
    public void LogitsAndHiddenStatesMatchTransformers(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            Assert.Equal(ScalarType.Float64, model.DType);
            using CausalLMOutput output = model.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
            Assert.Equal(expected["logits"].shape, output.Logits.shape);
            Assert.Equal(expected["last_hidden_state"].shape, output.LastHiddenState.shape);
            (double logits, long compared) = HuggingFaceFixture.CompareAtRealTokens(output.Logits, expected["logits"], expected["attention_mask"]);
            (double hidden, _) = HuggingFaceFixture.CompareAtRealTokens(output.LastHiddenState, expected["last_hidden_state"], expected["attention_mask"]);
            Assert.True(compared >= expected["input_ids"].shape[1], $"only {compared} positions are comparable");
            Assert.InRange(logits, 0, 1e-9);
            Assert.InRange(hidden, 0, 1e-9);
            // transformers' own outputs are finite only where it computed them right; ours are finite everywhere.
            Assert.True(output.Logits.isfinite().all().item<bool>());
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(HuggingFaceFixture.CausalLanguageModels), MemberType = typeof(HuggingFaceFixture))]
    public void GreedyGenerationMatchesTransformers(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            // The fixture's generate call: 8 new tokens, greedy, pad id 0, eos id 2.
            var options = new SamplingOptions { MaxNewTokens = 8, Temperature = 0, EosTokenId = 2, PadTokenId = 0 };
            using var generator = new Generator(1);
            using GenerationResult result = TextGenerator.Generate(model, expected["input_ids"], expected["attention_mask"], options, generator);
            long[] want = expected["greedy_sequences"].data<long>().ToArray();
            long rows = expected["greedy_sequences"].shape[0], wantLength = expected["greedy_sequences"].shape[1];
            long[] got = result.Sequences.cpu().data<long>().ToArray();
            long gotLength = result.Sequences.shape[1];
            Assert.True(gotLength >= wantLength, $"generated {gotLength} columns, transformers {wantLength}");
            long[] finiteRows = HuggingFaceFixture.FiniteRows(expected["logits"]);
            Assert.NotEmpty(finiteRows);
            foreach (long r in finiteRows)
            {
                // transformers stops when every row has finished; anything we generate past that must be padding.
                Assert.Equal(want.Skip((int)(r * wantLength)).Take((int)wantLength), got.Skip((int)(r * gotLength)).Take((int)wantLength));
                Assert.All(got.Skip((int)(r * gotLength + wantLength)).Take((int)(gotLength - wantLength)), id => Assert.Equal(0, id));
            }
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(HuggingFaceFixture.CausalLanguageModels), MemberType = typeof(HuggingFaceFixture))]
    public void SavePretrainedThenFromPretrainedGivesIdenticalLogits(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        using var single = new TestDirectory();
        using var sharded = new TestDirectory();
        try
        {
            model.SavePretrained(single.Path);
            model.SavePretrained(sharded.Path, maxShardBytes: 200_000);
            Assert.True(File.Exists(Path.Combine(single.Path, CheckpointReader.SingleFileName)));
            Assert.True(File.Exists(Path.Combine(sharded.Path, CheckpointReader.IndexFileName)));
            Assert.False(File.Exists(Path.Combine(sharded.Path, CheckpointReader.SingleFileName)));

            using CausalLMOutput original = model.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
            foreach (string directory in new[] { single.Path, sharded.Path })
            {
                using CausalLanguageModel loaded = AutoModelForCausalLM.FromPretrained(directory, CPU, ScalarType.Float64);
                Assert.Equal(model.GetType(), loaded.GetType());
                Assert.Equal(model.ModelType, loaded.ModelType);
                using CausalLMOutput output = loaded.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
                Assert.True(output.Logits.eq(original.Logits).all().item<bool>(), $"{name}: logits differ after saving to {directory}");
            }
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData("llama", ScalarType.BFloat16)]
    [InlineData("qwen2", ScalarType.Float16)]
    [InlineData("gpt2-bf16-sharded", ScalarType.Float32)]
    public void LoadsInTheRequestedType(string name, ScalarType dtype)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), dtype: dtype);
        Assert.All(model.parameters(), p => Assert.Equal(dtype, p.dtype));
        Assert.False(model.training);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            using CausalLMOutput output = model.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
            // Low-precision weights: only close to the float64 oracle, and finite.
            double tolerance = dtype == ScalarType.Float32 ? 1e-3 : 0.1;
            Assert.InRange(HuggingFaceFixture.CompareAtRealTokens(output.Logits, expected["logits"], expected["attention_mask"]).MaxDifference, 0, tolerance);
            Assert.True(output.Logits.isfinite().all().item<bool>());
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void KeyValueCacheGivesTheFullForwardLogits()
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected("llama");
        try
        {
            Tensor ids = expected["input_ids"], mask = expected["attention_mask"], positions = expected["position_ids"];
            using CausalLMOutput full = model.Forward(ids, mask, positions);
            using KeyValueCache cache = model.CreateKeyValueCache();
            using CausalLMOutput first = model.Forward(ids[.., ..7], mask[.., ..7], positions[.., ..7], cache);
            using CausalLMOutput rest = model.Forward(ids[.., 7..], mask, positions[.., 7..], cache);
            using Tensor joined = cat([first.Logits, rest.Logits], 1);
            Assert.InRange(HuggingFaceFixture.CompareAtRealTokens(joined, full.Logits, mask).MaxDifference, 0, 1e-12);
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(HuggingFaceFixture.CausalLanguageModels), MemberType = typeof(HuggingFaceFixture))]
    public void LeftPaddedRowsEqualTheSamePromptsAlone(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            Tensor ids = expected["input_ids"], mask = expected["attention_mask"], positions = expected["position_ids"];
            using CausalLMOutput batched = model.Forward(ids, mask, positions);
            for (long r = 0; r < ids.shape[0]; r++)
            {
                using var scope = NewDisposeScope();
                int padding = (int)mask[r].Eq(0).sum().item<long>();
                Tensor alone = ids[r, padding..].unsqueeze(0);
                using CausalLMOutput single = model.Forward(alone);
                Tensor rowLogits = batched.Logits[r, padding..].unsqueeze(0);
                Tensor rowHidden = batched.LastHiddenState[r, padding..].unsqueeze(0);
                Assert.InRange((rowLogits - single.Logits).abs().max().item<double>(), 0, 1e-12);
                Assert.InRange((rowHidden - single.LastHiddenState).abs().max().item<double>(), 0, 1e-12);
            }
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }
}
