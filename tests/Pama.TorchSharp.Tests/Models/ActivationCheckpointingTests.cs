using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Training;
using Pama.TorchSharp.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Activation checkpointing recomputes each block in backward: the gradients must equal those of the plain forward
/// in float64, for every family, with full fine-tuning (the hidden state needs a gradient) and with LoRA (only adapter
/// parameters do), with padding, grouped-query attention and sliding windows.
/// </summary>
public sealed class ActivationCheckpointingTests
{
    private const double Tolerance = 1e-12;

    public static IEnumerable<object[]> Fixtures => [["gpt2"], ["llama"], ["qwen2"]];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GradientsEqualThePlainPathWithFullFineTuning(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            CompareGradients(model, expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GradientsEqualThePlainPathWithLora(string name)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(name), CPU, ScalarType.Float64);
        using var generator = new Generator(5);
        using LoraAdapter adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 2, Alpha = 4 }, generator);
        // B starts at zero, which would make A's gradient zero: give B values so every adapter parameter gets a gradient.
        using (no_grad())
            foreach (var (n, p) in model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.normal_(0, 0.1, generator);
        var expected = HuggingFaceFixture.Expected(name);
        try
        {
            CompareGradients(model, expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void GradientsEqualThePlainPathWithSlidingWindowsAndFusedAttention()
    {
        var config = new LlamaConfig
        {
            ModelType = "mistral", VocabularySize = 40, HiddenSize = 32, IntermediateSize = 48, LayerCount = 3, HeadCount = 4,
            KeyValueHeadCount = 2, MaxPositionEmbeddings = 64, SlidingWindow = 3, SlidingLayers = [1],
        };
        using var model = new LlamaModel(config, dtype: ScalarType.Float64) { AttentionImplementation = AttentionImplementation.Fused };
        using (var generator = new Generator(8))
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.3, generator);
        using Tensor ids = tensor(new long[,] { { 0, 0, 5, 7, 9, 11, 2 }, { 3, 4, 5, 6, 7, 8, 9 } });
        using Tensor mask = tensor(new long[,] { { 0, 0, 1, 1, 1, 1, 1 }, { 1, 1, 1, 1, 1, 1, 1 } });
        using Scalar zero = 0L.ToScalar();
        using Tensor positions = (mask.cumsum(1) - mask).clamp_min(zero);
        CompareGradients(model, ids, mask, positions);
    }

    [Fact]
    public void TheTrainerOptionSwitchesItOnAndAStepIsUnchanged()
    {
        PamaTrainerOptions options = TinyModels.Options();
        (PamaTrainer<Gpt2Model> plain, Gpt2Model plainPolicy) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        (PamaTrainer<Gpt2Model> checkpointed, Gpt2Model checkpointedPolicy) = TinyModels.Trainer(options with { ActivationCheckpointing = true }, TinyModels.VowelsAndLength());
        using (plain)
        using (plainPolicy)
        using (checkpointed)
        using (checkpointedPolicy)
        {
            Assert.False(plainPolicy.ActivationCheckpointing);
            Assert.True(checkpointedPolicy.ActivationCheckpointing);
            StepMetrics a = plain.Step(TinyModels.Prompts);
            StepMetrics b = checkpointed.Step(TinyModels.Prompts);
            Assert.True(a.PolicyUpdated);
            Assert.Equal(a.MeanRewards, b.MeanRewards);
            Dictionary<string, double[]> x = TinyModels.Snapshot(plainPolicy), y = TinyModels.Snapshot(checkpointedPolicy);
            foreach (var (name, values) in x)
                for (int i = 0; i < values.Length; i++)
                    Assert.True(Math.Abs(values[i] - y[name][i]) <= Tolerance, $"{name}[{i}]: {values[i]} vs {y[name][i]}");
        }
    }

    [Fact]
    public void DropoutInTrainingModeIsRefused()
    {
        var config = TinyGpt2.Config() with { AttentionDropout = 0.1 };
        using Gpt2Model model = TinyGpt2.Create(config, seed: 4);
        model.ActivationCheckpointing = true;
        model.train();
        using Tensor ids = tensor(new long[,] { { 1, 2, 3 } });
        var error = Assert.Throws<InvalidOperationException>(() => model.Forward(ids));
        Assert.Contains("dropout", error.Message);
    }

    /// <summary>Gradients of a fixed random projection of the logits, with and without checkpointing.</summary>
    private static void CompareGradients(CausalLanguageModel model, Tensor ids, Tensor mask, Tensor positions)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.NotEmpty(trainable);
        Dictionary<string, double[]> Gradients(bool checkpoint)
        {
            model.ActivationCheckpointing = checkpoint;
            foreach (var (_, p) in trainable) p.grad?.zero_();
            using var scope = NewDisposeScope();
            CausalLMOutput output = model.Forward(ids, mask, positions);
            using var generator = new Generator(17);
            Tensor weights = randn(output.Logits.shape, ScalarType.Float64, generator: generator);
            Tensor real = mask.to_type(ScalarType.Float64).unsqueeze(-1);
            (output.Logits * weights * real).sum().backward();
            return trainable.ToDictionary(p => p.name, p => TinyGpt2.Values(p.parameter.grad!));
        }
        Dictionary<string, double[]> plain = Gradients(checkpoint: false), checkpointed = Gradients(checkpoint: true);
        model.ActivationCheckpointing = false;
        double largest = 0;
        foreach (var (name, values) in plain)
        {
            for (int i = 0; i < values.Length; i++)
            {
                Assert.True(Math.Abs(values[i] - checkpointed[name][i]) <= Tolerance, $"{name}[{i}]: {values[i]} vs {checkpointed[name][i]}");
                largest = Math.Max(largest, Math.Abs(values[i]));
            }
        }
        Assert.True(largest > 1e-6, "the gradients are all zero; the comparison would prove nothing");
    }
}
