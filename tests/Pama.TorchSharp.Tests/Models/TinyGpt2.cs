using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Tiny GPT-2 models for tests: a few thousand parameters, float64, every parameter random.</summary>
internal static class TinyGpt2
{
    public static Gpt2Config Config(int layers = 2, int vocabulary = 61, int hidden = 16, int heads = 4, int context = 32) => new()
    {
        VocabularySize = vocabulary,
        ContextLength = context,
        HiddenSize = hidden,
        LayerCount = layers,
        HeadCount = heads,
        EmbeddingDropout = 0,
        AttentionDropout = 0,
        ResidualDropout = 0,
        EosTokenId = vocabulary - 1,
        BosTokenId = vocabulary - 1,
    };

    /// <summary>A float64 model in eval mode whose parameters (biases and layer norms included) are all
    /// drawn from N(0, scale²), so no term of the equations is trivially zero or one.</summary>
    public static Gpt2Model Create(Gpt2Config config, long seed, double scale = 0.5)
    {
        var model = new Gpt2Model(config, seed).to(ScalarType.Float64);
        using var generator = new Generator((ulong)seed + 1000);
        using (no_grad())
        {
            foreach (var (_, parameter) in model.named_parameters())
                parameter.normal_(0, scale, generator);
        }
        model.eval();
        return model;
    }

    public static double[] Values(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    public static Tensor Ids(params long[][] rows)
    {
        int width = rows[0].Length;
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, width]);
    }
}
