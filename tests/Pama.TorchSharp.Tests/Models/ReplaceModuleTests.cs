using Pama.TorchSharp.Models;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Adapters replace a projection by its Hugging Face path and the model calls the replacement.</summary>
public sealed class ReplaceModuleTests
{
    /// <summary>Wraps a linear layer and adds a constant to its output, so the effect is known exactly.</summary>
    private sealed class Shifted : nn.Module<Tensor, Tensor>
    {
        private readonly Linear base_layer;
        private readonly double _shift;

        public Shifted(Linear inner, double shift) : base("shifted")
        {
            base_layer = inner;
            _shift = shift;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => base_layer.forward(x).Plus(_shift);
    }

    [Fact]
    public void ReplacedProjectionIsCalledAndItsParametersAreNamedUnderThePath()
    {
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), CPU, ScalarType.Float64);
        using Tensor ids = tensor(new long[] { 3, 17, 4, 9 }).unsqueeze(0);
        using CausalLMOutput before = model.Forward(ids);
        var original = (Linear)model.named_modules().First(m => m.name == "model.layers.1.mlp.down_proj").module;

        nn.Module old = model.ReplaceModule("model.layers.1.mlp.down_proj", new Shifted(original, 0.0));
        Assert.Same(original, old);
        Assert.Contains("model.layers.1.mlp.down_proj.base_layer.weight", model.named_parameters().Select(p => p.name));
        Assert.DoesNotContain("model.layers.1.mlp.down_proj.weight", model.named_parameters().Select(p => p.name));
        using CausalLMOutput same = model.Forward(ids);
        Assert.True(same.Logits.eq(before.Logits).all().item<bool>());

        model.ReplaceModule("model.layers.1.mlp.down_proj", new Shifted(original, 1.0));
        using CausalLMOutput shifted = model.Forward(ids);
        Assert.False(shifted.Logits.eq(before.Logits).all().item<bool>());

        Assert.Throws<ArgumentException>(() => model.ReplaceModule("model.layers.1.mlp.nothing", new Shifted(original, 0)));
        Assert.Throws<ArgumentException>(() => model.ReplaceModule("model.norm", new Shifted(original, 0)));
    }
}
