using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Per-token rewards, GAE and group-relative advantages against float64 loops written here.</summary>
public sealed class AdvantageTests
{
    private static readonly int[] Lengths = [5, 3, 1, 4];
    private const int T = 5, N = 2;

    private static Tensor Mask()
    {
        var mask = new double[Lengths.Length * T];
        for (int b = 0; b < Lengths.Length; b++)
            for (int t = 0; t < Lengths[b]; t++) mask[b * T + t] = 1;
        return tensor(mask, [Lengths.Length, T], ScalarType.Float64);
    }

    [Fact]
    public void KlPenaltyOnEveryResponseTokenAndRewardOnTheLastOne()
    {
        using var generator = new Generator(1);
        int rows = Lengths.Length;
        Tensor policy = randn([rows, T], ScalarType.Float64, generator: generator);
        Tensor reference = randn([rows, T], ScalarType.Float64, generator: generator);
        Tensor rewards = randn([rows, N], ScalarType.Float64, generator: generator);
        const double beta = 0.37;

        var (tokenRewards, kl) = TokenRewards.Compute(policy, reference, Mask(), rewards, beta);

        double[] p = TinyModels.Values(policy), q = TinyModels.Values(reference), r = TinyModels.Values(rewards);
        double[] actual = TinyModels.Values(tokenRewards), actualKl = TinyModels.Values(kl);
        for (int b = 0; b < rows; b++)
            for (int t = 0; t < T; t++)
            {
                bool inside = t < Lengths[b];
                double klt = inside ? p[b * T + t] - q[b * T + t] : 0;
                Assert.Equal(klt, actualKl[b * T + t], 14);
                for (int i = 0; i < N; i++)
                {
                    double expected = inside ? -beta * klt + (t == Lengths[b] - 1 ? r[b * N + i] : 0) : 0;
                    Assert.Equal(expected, actual[(b * T + t) * N + i], 14);
                }
            }
    }

    [Theory]
    [InlineData(1.0, 0.95)]
    [InlineData(0.9, 0.5)]
    [InlineData(1.0, 1.0)]
    public void GaeEqualsReferenceLoop(double gamma, double lambda)
    {
        using var generator = new Generator(2);
        int rows = Lengths.Length;
        Tensor mask = Mask();
        Tensor rewards = randn([rows, T, N], ScalarType.Float64, generator: generator) * mask.unsqueeze(-1);
        // Values on padding are garbage on purpose: they must not leak into the result.
        Tensor values = randn([rows, T, N], ScalarType.Float64, generator: generator);

        var (advantages, returns) = new GeneralizedAdvantageEstimation(gamma, lambda).Estimate(rewards, values, mask);

        double[] r = TinyModels.Values(rewards), v = TinyModels.Values(values);
        double[] a = TinyModels.Values(advantages), g = TinyModels.Values(returns!);
        for (int b = 0; b < rows; b++)
            for (int i = 0; i < N; i++)
            {
                double next = 0, running = 0;
                for (int t = T - 1; t >= 0; t--)
                {
                    int k = (b * T + t) * N + i;
                    if (t >= Lengths[b]) { Assert.Equal(0.0, a[k]); Assert.Equal(0.0, g[k]); continue; }
                    double delta = r[k] + gamma * next - v[k];
                    running = delta + gamma * lambda * running;
                    Assert.Equal(running, a[k], 12);
                    Assert.Equal(running + v[k], g[k], 12);
                    next = v[k];
                }
            }
    }

    [Fact]
    public void GroupRelativeAdvantagesNormaliseSummedRewardsWithinEachGroup()
    {
        using var generator = new Generator(3);
        int rows = Lengths.Length; // two groups of two
        Tensor mask = Mask();
        Tensor rewards = randn([rows, T, N], ScalarType.Float64, generator: generator) * mask.unsqueeze(-1);

        var (advantages, returns) = new GroupRelativeAdvantages(2).Estimate(rewards, zeros(rows, T, N, ScalarType.Float64), mask);

        Assert.Null(returns);
        double[] r = TinyModels.Values(rewards), a = TinyModels.Values(advantages);
        for (int group = 0; group < 2; group++)
            for (int i = 0; i < N; i++)
            {
                double[] score = new double[2];
                for (int j = 0; j < 2; j++)
                    for (int t = 0; t < T; t++) score[j] += r[((group * 2 + j) * T + t) * N + i];
                double mean = (score[0] + score[1]) / 2;
                double std = Math.Sqrt(((score[0] - mean) * (score[0] - mean) + (score[1] - mean) * (score[1] - mean)) / 1);
                for (int j = 0; j < 2; j++)
                {
                    int b = group * 2 + j;
                    for (int t = 0; t < T; t++)
                        Assert.Equal(t < Lengths[b] ? (score[j] - mean) / (std + 1e-6) : 0, a[(b * T + t) * N + i], 12);
                }
            }
    }
}
