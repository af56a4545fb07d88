using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Tiny Llama-family models for tests: vocabulary 20, width 16, grouped-query attention, float64, every parameter random.</summary>
internal static class TinyLlama
{
    /// <summary>A float64 model in eval mode: <c>llama</c> (tied output layer), <c>llama-untied</c>, <c>qwen2</c> (q/k/v
    /// biases) or <c>mistral</c> (a sliding window of 3 in every layer).</summary>
    public static LlamaModel Create(string family, int layers = 2)
    {
        var config = new LlamaConfig
        {
            VocabularySize = 20, HiddenSize = 16, IntermediateSize = 24, LayerCount = layers, HeadCount = 4, KeyValueHeadCount = 2,
            MaxPositionEmbeddings = 64, TieWordEmbeddings = family != "llama-untied",
        };
        config = family switch
        {
            "qwen2" => config with { ModelType = "qwen2", QueryKeyValueBias = true },
            "mistral" => config with { ModelType = "mistral", SlidingWindow = 3, SlidingLayers = [.. Enumerable.Range(0, layers)] },
            _ => config,
        };
        var model = new LlamaModel(config, dtype: ScalarType.Float64);
        using var generator = new Generator(17);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.5, generator);
        model.eval();
        return model;
    }
}
