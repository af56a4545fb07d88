using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Lora;

/// <summary>
/// Without target modules LoRA wraps what PEFT wraps for the family: PEFT 0.21's
/// <c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c> maps gpt2 to <c>c_attn</c> and llama, mistral and qwen2 to
/// <c>q_proj</c>, <c>v_proj</c>.
/// </summary>
public sealed class LoraDefaultTargetTests
{
    [Theory]
    [InlineData("gpt2", "transformer.h.{0}.attn.c_attn")]
    [InlineData("llama", "model.layers.{0}.self_attn.q_proj", "model.layers.{0}.self_attn.v_proj")]
    [InlineData("qwen2", "model.layers.{0}.self_attn.q_proj", "model.layers.{0}.self_attn.v_proj")]
    public void NoTargetModulesWrapsPeftsDefaultLayers(string fixture, params string[] perLayer)
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory(fixture), CPU, ScalarType.Float64);
        using var generator = new Generator(3);
        using LoraAdapter adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 2, Alpha = 4 }, generator);

        string[] expected = [.. Enumerable.Range(0, model.LayerCount).SelectMany(l => perLayer.Select(p => string.Format(System.Globalization.CultureInfo.InvariantCulture, p, l))).Order(StringComparer.Ordinal)];
        string[] wrapped = [.. model.named_parameters().Select(p => p.name).Where(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal))
            .Select(n => n[..^".lora_A.weight".Length]).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, wrapped);
    }

    [Fact]
    public void AMistralModelGetsTheLlamaDefaults()
    {
        var config = new LlamaConfig
        {
            ModelType = "mistral", VocabularySize = 20, HiddenSize = 16, IntermediateSize = 24, LayerCount = 1, HeadCount = 4,
            KeyValueHeadCount = 2, MaxPositionEmbeddings = 32,
        };
        using var model = new LlamaModel(config);
        Assert.Equal(["q_proj", "v_proj"], model.DefaultLoraTargetModules);
    }
}
