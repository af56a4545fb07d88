using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>Qwen2-0.5B's widths (hidden 896, 14 query and 2 key/value heads, MLP 4864, tied embeddings) at any depth and
/// vocabulary, with random weights: a real model's shape without a download.</summary>
internal static class Qwen2Widths
{
    public static LlamaConfig Config(int layers, int vocabulary = 151_936) => new()
    {
        ModelType = "qwen2", VocabularySize = vocabulary, HiddenSize = 896, IntermediateSize = 4864, LayerCount = layers, HeadCount = 14,
        KeyValueHeadCount = 2, MaxPositionEmbeddings = 32768, QueryKeyValueBias = true, TieWordEmbeddings = true,
        RmsNormEpsilon = 1e-6,
    };

    /// <summary>A float32 model with weights drawn from N(0, 0.02²) (norms at one), the same for a given configuration.</summary>
    public static LlamaModel RandomModel(LlamaConfig config)
    {
        var model = new LlamaModel(config);
        using var generator = new Generator(1);
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (!name.EndsWith("norm.weight", StringComparison.Ordinal)) p.normal_(0, 0.02, generator);
        return model;
    }
}
