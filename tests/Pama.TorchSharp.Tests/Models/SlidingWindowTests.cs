using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Mistral's sliding window: with one layer, position t sees exactly tokens t − w + 1 .. t.</summary>
public sealed class SlidingWindowTests
{
    [Fact]
    public void OneLayerWithWindowEqualsTheLastWTokensAlone()
    {
        const int window = 3;
        var config = new LlamaConfig
        {
            ModelType = "mistral", VocabularySize = 20, HiddenSize = 16, IntermediateSize = 24, LayerCount = 1, HeadCount = 4,
            KeyValueHeadCount = 2, MaxPositionEmbeddings = 64, SlidingWindow = window, SlidingLayers = [0],
        };
        using var model = new LlamaModel(config, dtype: ScalarType.Float64);
        using var generator = new Generator(11);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.5, generator);
        long[] tokens = [4, 8, 15, 16, 2, 3, 19];
        using var ids = tensor(tokens).unsqueeze(0);
        using CausalLMOutput full = model.Forward(ids);
        for (int t = 0; t < tokens.Length; t++)
        {
            int start = Math.Max(0, t - window + 1);
            using var part = tensor(tokens[start..(t + 1)]).unsqueeze(0);
            using var positions = KeptScalars.Arange(start, t + 1, ScalarType.Int64).unsqueeze(0);
            using CausalLMOutput alone = model.Forward(part, positionIds: positions);
            using var last = alone.Logits[0, ^1];
            using var atT = full.Logits[0, t];
            Assert.InRange((last - atT).abs().max().item<double>(), 0, 1e-12);
        }
        // Without the window the last position sees the whole prefix.
        using var unbounded = new LlamaModel(config with { SlidingWindow = null, SlidingLayers = [] }, dtype: ScalarType.Float64);
        unbounded.load_state_dict(model.state_dict());
        using CausalLMOutput wide = unbounded.Forward(ids);
        Assert.True((wide.Logits[0, ^1] - full.Logits[0, ^1]).abs().max().item<double>() > 1e-6);
    }
}
