using Pama.TorchSharp.Models;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Rotary frequencies against transformers' formulas (modeling_rope_utils, 5.x) evaluated independently in float64,
/// and the wiring of scaled rotary embeddings through <see cref="LlamaModel"/>.
/// </summary>
public sealed class RopeParametersTests
{
    [Theory]
    [InlineData(10000.0, 16)]
    [InlineData(500000.0, 128)]
    [InlineData(1000000.0, 64)]
    public void DefaultIsThetaToTheMinusTwoIOverD(double theta, int dim)
    {
        double[] expected = Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / dim)).ToArray();
        AssertClose(expected, new RopeParameters { Theta = theta }.InverseFrequencies(dim, 4096));
    }

    [Fact]
    public void LinearDividesByTheFactor()
    {
        const double theta = 10000, factor = 4;
        double[] expected = Enumerable.Range(0, 32).Select(i => 1.0 / Math.Pow(theta, 2.0 * i / 64) / factor).ToArray();
        AssertClose(expected, new RopeParameters { Type = "linear", Theta = theta, Factor = factor }.InverseFrequencies(64, 2048));
    }

    [Theory]
    [InlineData(100, 2048)]   // within the trained length: the default frequencies
    [InlineData(2048, 2048)]
    [InlineData(5000, 2048)]  // beyond it: base θ (f L / max − (f − 1))^(d / (d − 2))
    public void DynamicRaisesTheBaseBeyondTheTrainedLength(long length, int maxPositions)
    {
        const double theta = 10000, factor = 2;
        const int dim = 64;
        double @base = length > maxPositions
            ? theta * Math.Pow(factor * length / maxPositions - (factor - 1), dim / (double)(dim - 2))
            : theta;
        double[] expected = Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(@base, 2.0 * i / dim)).ToArray();
        AssertClose(expected, new RopeParameters { Type = "dynamic", Theta = theta, Factor = factor }.InverseFrequencies(dim, maxPositions, length));
    }

    [Theory]
    [InlineData(500000.0, 8.0, 1.0, 4.0, 8192, 128)]  // Llama 3.1
    [InlineData(500000.0, 32.0, 1.0, 4.0, 8192, 64)]  // Llama 3.2
    [InlineData(10000.0, 4.0, 2.0, 8.0, 256, 32)]     // every branch within a short context
    public void Llama3InterpolatesBetweenTheWavelengthBands(double theta, double factor, double low, double high, int original, int dim)
    {
        double[] expected = Enumerable.Range(0, dim / 2).Select(i =>
        {
            double frequency = 1.0 / Math.Pow(theta, 2.0 * i / dim);
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < original / high) return frequency;
            if (wavelength > original / low) return frequency / factor;
            double smooth = (original / wavelength - low) / (high - low);
            return (1 - smooth) * frequency / factor + smooth * frequency;
        }).ToArray();
        var rope = new RopeParameters { Type = "llama3", Theta = theta, Factor = factor, LowFrequencyFactor = low, HighFrequencyFactor = high, OriginalMaxPositionEmbeddings = original };
        AssertClose(expected, rope.InverseFrequencies(dim, 131072));
    }

    [Fact]
    public void LinearScalingByTwoAtPositionTwoPEqualsNoScalingAtP()
    {
        // (ω / 2) · 2p = ω · p exactly in floating point, so the two models must agree to the last bit.
        LlamaConfig config = SmallConfig(new RopeParameters());
        using var plain = new LlamaModel(config, dtype: ScalarType.Float64);
        using var scaled = new LlamaModel(config with { Rope = new RopeParameters { Type = "linear", Factor = 2 } }, dtype: ScalarType.Float64);
        RandomizeWeights(plain);
        scaled.load_state_dict(plain.state_dict());
        using Tensor ids = tensor(new long[] { 5, 9, 2, 7, 1, 3 }).unsqueeze(0);
        using Tensor positions = KeptScalars.Arange(0, 6, ScalarType.Int64).unsqueeze(0);
        using Tensor doubled = positions.Times(2);
        using CausalLMOutput a = plain.Forward(ids, positionIds: positions);
        using CausalLMOutput b = scaled.Forward(ids, positionIds: doubled);
        Assert.True(a.Logits.eq(b.Logits).all().item<bool>());
        using CausalLMOutput c = scaled.Forward(ids, positionIds: positions);
        Assert.False(a.Logits.eq(c.Logits).all().item<bool>());
    }

    [Fact]
    public void DynamicScalingChangesOnlyPastTheTrainedLength()
    {
        LlamaConfig config = SmallConfig(new RopeParameters()) with { MaxPositionEmbeddings = 8 };
        using var plain = new LlamaModel(config, dtype: ScalarType.Float64);
        using var dynamic = new LlamaModel(config with { Rope = new RopeParameters { Type = "dynamic", Factor = 4 } }, dtype: ScalarType.Float64);
        RandomizeWeights(plain);
        dynamic.load_state_dict(plain.state_dict());
        Assert.Equal(32, dynamic.ContextLength);
        using Tensor shortIds = tensor(new long[] { 5, 9, 2, 7, 1, 3 }).unsqueeze(0);
        using CausalLMOutput a = plain.Forward(shortIds);
        using CausalLMOutput b = dynamic.Forward(shortIds);
        Assert.True(a.Logits.eq(b.Logits).all().item<bool>());
        using Scalar twenty = 20.ToScalar();
        using Tensor longIds = KeptScalars.Arange(0, 12, ScalarType.Int64).remainder(twenty).unsqueeze(0);
        using CausalLMOutput c = dynamic.Forward(longIds);
        Assert.True(c.Logits.isfinite().all().item<bool>());
        using CausalLMOutput d = plain.Forward(longIds[.., ..8]);
        Assert.True(c.Logits[.., ..8].eq(d.Logits).all().item<bool>() == false, "past the trained length every position uses the raised base");
    }

    private static LlamaConfig SmallConfig(RopeParameters rope) => new()
    {
        VocabularySize = 20, HiddenSize = 16, IntermediateSize = 24, LayerCount = 2, HeadCount = 4, KeyValueHeadCount = 2,
        MaxPositionEmbeddings = 64, Rope = rope,
    };

    private static void RandomizeWeights(LlamaModel model)
    {
        using var generator = new Generator(3);
        using (no_grad())
        {
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.5, generator);
        }
    }

    private static void AssertClose(double[] expected, Tensor actual)
    {
        using (actual)
        {
            Assert.Equal(ScalarType.Float32, actual.dtype);
            double[] values = actual.to_type(ScalarType.Float64).data<double>().ToArray();
            Assert.Equal(expected.Length, values.Length);
            // transformers computes these in float32: agreement to float32 rounding of a few operations.
            for (int i = 0; i < expected.Length; i++) Assert.InRange(Math.Abs(values[i] - expected[i]), 0, 4e-7 * Math.Abs(expected[i]));
        }
    }
}
