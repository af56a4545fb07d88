using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

public sealed class Gpt2TrainingTests
{
    [Fact]
    public void EveryParameterGetsAGradientAndTheTiedEmbeddingMatchesFiniteDifferences()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(layers: 1), seed: 31);
        using var ids = TinyGpt2.Ids([4, 7, 7, 1]);
        using Tensor weights = linspace(-1, 1, 4 * 61, ScalarType.Float64).view(1, 4, 61);

        double Objective()
        {
            using var noGrad = no_grad();
            using Tensor logits = model.forward(ids);
            return (logits * weights).sum().item<double>();
        }

        using (Tensor logits = model.forward(ids))
        using (Tensor loss = (logits * weights).sum())
            loss.backward();

        var parameters = model.named_parameters().ToList();
        Assert.Equal(16, parameters.Count);   // lm_head is tied, not a separate parameter
        foreach (var (name, parameter) in parameters)
        {
            Assert.NotNull(parameter.grad);
            Assert.True(parameter.grad!.abs().sum().item<double>() > 0, $"{name} got a zero gradient");
        }

        // wte[7, 3] feeds both the input embedding (token 7 appears twice) and the tied output layer.
        Tensor wte = model.state_dict()["transformer.wte.weight"];
        double analytic = wte.grad!.select(0, 7).select(0, 3).item<double>();
        const double h = 1e-6;
        double original;
        using (no_grad())
        {
            original = wte.select(0, 7).select(0, 3).item<double>();
            wte.select(0, 7).select(0, 3).Fill(original + h);
        }
        double plus = Objective();
        using (no_grad()) wte.select(0, 7).select(0, 3).Fill(original - h);
        double minus = Objective();
        using (no_grad()) wte.select(0, 7).select(0, 3).Fill(original);
        Assert.Equal((plus - minus) / (2 * h), analytic, 1e-6);
    }

    [Fact]
    public void CloneIsIndependentAndEqual()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config(), seed: 32);
        using Gpt2Model copy = model.Clone();
        using var ids = TinyGpt2.Ids([1, 2, 3]);
        using (Tensor a = model.forward(ids))
        using (Tensor b = copy.forward(ids))
            Assert.Equal(TinyGpt2.Values(a), TinyGpt2.Values(b));
        Assert.Equal(model.DType, copy.DType);
        Assert.False(copy.training);

        using (no_grad()) copy.state_dict()["transformer.ln_f.bias"].PlusInPlace(1.0);
        using (Tensor a = model.forward(ids))
        using (Tensor b = copy.forward(ids))
            Assert.NotEqual(TinyGpt2.Values(a), TinyGpt2.Values(b));
    }

    [Fact]
    public void DropoutIsActiveOnlyInTrainingMode()
    {
        using Gpt2Model model = TinyGpt2.Create(TinyGpt2.Config() with { ResidualDropout = 0.5 }, seed: 33);
        using var ids = TinyGpt2.Ids([1, 2, 3]);
        using Tensor eval1 = model.forward(ids), eval2 = model.forward(ids);
        Assert.Equal(TinyGpt2.Values(eval1), TinyGpt2.Values(eval2));
        model.train();
        using Tensor train = model.forward(ids);
        Assert.NotEqual(TinyGpt2.Values(eval1), TinyGpt2.Values(train));
    }
}
