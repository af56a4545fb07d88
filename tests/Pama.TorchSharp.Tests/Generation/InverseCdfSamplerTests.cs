using Pama.TorchSharp.Generation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Generation;

public sealed class InverseCdfSamplerTests
{
    private static long[] Choose(double[] probabilities, double[] uniforms, SamplingOptions options)
    {
        int rows = uniforms.Length, width = probabilities.Length;
        double[] logits = Enumerable.Range(0, rows).SelectMany(_ => probabilities.Select(p => p == 0 ? double.NegativeInfinity : Math.Log(p))).ToArray();
        using var scope = NewDisposeScope();
        var (tokens, invalid) = InverseCdfSampler.Choose(tensor(logits, [rows, width]), options, tensor(uniforms));
        Assert.False(invalid.any().item<bool>());
        return tokens.data<long>().ToArray();
    }

    [Fact]
    public void EachUniformPicksTheFirstTokenWhoseRunningSumReachesIt()
    {
        // Probabilities (0, 0.25, 0, 0.5, 0.25, 0): running sums 0, 0.25, 0.25, 0.75, 1, 1.
        double[] p = [0, 0.25, 0, 0.5, 0.25, 0];
        double[] u = [1e-300, 0.25, 0.25 + 1e-15, 0.75, 0.75 + 1e-15, 1.0];
        long[] expected = [1, 1, 3, 3, 4, 4];
        Assert.Equal(expected, Choose(p, u, new SamplingOptions()));
    }

    [Fact]
    public void TokensOfProbabilityZeroAreNeverPicked()
    {
        // Top-k 2 of (0.4, 0.3, 0.2, 0.1) keeps tokens 0 and 1 with probabilities 4/7 and 3/7; u ≤ 4/7 picks 0.
        double[] p = [0.4, 0.3, 0.2, 0.1];
        double[] u = [1e-300, 4.0 / 7 - 1e-12, 4.0 / 7 + 1e-12, 1.0];
        Assert.Equal(new long[] { 0, 0, 1, 1 }, Choose(p, u, new SamplingOptions { TopK = 2 }));
    }

    /// <summary>Pearson's χ² of observed counts against expected probabilities (zero-probability cells must be empty).</summary>
    private static double ChiSquare(long[] tokens, double[] expected)
    {
        double statistic = 0;
        for (int k = 0; k < expected.Length; k++)
        {
            long count = tokens.LongCount(t => t == k);
            if (expected[k] == 0) { Assert.Equal(0, count); continue; }
            double e = expected[k] * tokens.Length;
            statistic += (count - e) * (count - e) / e;
        }
        return statistic;
    }

    [Theory]
    // Top-k 2: (0.5, 0.25) renormalised.
    [InlineData(1.0, 2, 1.0, new[] { 2.0 / 3, 1.0 / 3, 0, 0 })]
    // Top-p 0.8: 0.5 and 0.75 lie below 0.8 before tokens 1 and 2, so tokens 0..2 stay: (0.5, 0.25, 0.15) / 0.9.
    [InlineData(1.0, 0, 0.8, new[] { 0.5 / 0.9, 0.25 / 0.9, 0.15 / 0.9, 0 })]
    // Temperature 2: p^(1/2) normalised.
    [InlineData(2.0, 0, 1.0, new[] { 0.70710678118654752, 0.5, 0.38729833462074170, 0.31622776601683794 })]
    public void FrequenciesFollowTheFilteredTemperedSoftmax(double temperature, int topK, double topP, double[] shape)
    {
        double[] p = [0.5, 0.25, 0.15, 0.1];
        double sum = shape.Sum();
        double[] expected = [.. shape.Select(x => x / sum)];
        const int rows = 40_000;
        using var logits = tensor(Enumerable.Range(0, rows).SelectMany(_ => p.Select(x => Math.Log(x))).ToArray(), [rows, 4]).to(ScalarType.Float32);
        using var generator = new Generator(321);
        using Tensor drawn = TextGenerator.ChooseTokens(logits, new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }, generator);
        long[] tokens = drawn.data<long>().ToArray();
        int degrees = expected.Count(e => e > 0) - 1;
        // 0.999 quantiles of χ² with 1, 2 and 3 degrees of freedom: a correct sampler fails one run in a thousand.
        double critical = degrees switch { 1 => 10.828, 2 => 13.816, _ => 16.266 };
        Assert.InRange(ChiSquare(tokens, expected), 0, critical);
    }

    [Fact]
    public void LowPrecisionLogitsAreSampledInFloat32()
    {
        Assert.Equal(ScalarType.Float32, InverseCdfSampler.ComputeType(ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, InverseCdfSampler.ComputeType(ScalarType.Float16));
        Assert.Equal(ScalarType.Float32, InverseCdfSampler.ComputeType(ScalarType.Float32));
        Assert.Equal(ScalarType.Float64, InverseCdfSampler.ComputeType(ScalarType.Float64));
        // bfloat16 logits of a 4-token distribution: sampled through float32, the frequencies still follow the softmax.
        double[] p = [0.5, 0.25, 0.15, 0.1];
        const int rows = 20_000;
        using var logits = tensor(Enumerable.Range(0, rows).SelectMany(_ => p.Select(x => Math.Log(x))).ToArray(), [rows, 4]).to(ScalarType.BFloat16);
        using Tensor exact = logits.to(ScalarType.Float64).softmax(-1)[0];
        double[] expected = exact.data<double>().ToArray();
        using var generator = new Generator(7);
        using Tensor drawn = TextGenerator.ChooseTokens(logits, new SamplingOptions(), generator);
        Assert.InRange(ChiSquare(drawn.data<long>().ToArray(), expected), 0, 16.266);
    }
}
