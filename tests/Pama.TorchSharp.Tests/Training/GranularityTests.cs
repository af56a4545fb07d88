using Pama.Statistics;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Per-sequence and per-token weights equal Theorem 1 (core <see cref="PamaSolver"/>) on each row's statistics.</summary>
public sealed class GranularityTests
{
    private const double Epsilon = 0.2;
    private const int B = 3, T = 5, N = 3;

    private static (double[] Advantages, double[] Ratios, double[] Mask, CombinedAdvantage Combined) Run(WeightingGranularity granularity)
    {
        using var generator = new Generator(21);
        var sequences = TinyModels.Sequences();
        Tensor mask = sequences.ResponseMask;
        Tensor newLogProbs = randn([B, T], ScalarType.Float64, generator: generator).Times(0.3);
        Tensor oldLogProbs = zeros(B, T, ScalarType.Float64);
        Tensor advantages = randn([B, T, N], ScalarType.Float64, generator: generator).Plus(0.3);
        // Row 1 has no positive advantage for objective 2: its per-sequence statistic is 0 (mixed signs case).
        advantages[1, .., 2] = -advantages[1, .., 2].abs();
        var input = new MethodInput(advantages, newLogProbs, oldLogProbs, mask, zeros(B, 9, 4, ScalarType.Float64), Epsilon);
        var combined = new CombineStage(new PamaMethod(granularity), N).Combine(input);
        return (TinyModels.Values(advantages), TinyModels.Values(newLogProbs.exp()), TinyModels.Values(mask), combined);
    }

    [Fact]
    public void SequenceWeightsEqualTheoremOneOnEachResponsesStatistics()
    {
        var (a, u, m, combined) = Run(WeightingGranularity.Sequence);
        double[] combinedAdvantage = TinyModels.Values(combined.Advantage);
        Assert.NotNull(combined.RowWeights);
        for (int b = 0; b < B; b++)
        {
            var statistics = new double[N];
            NoonStatistic.Compute(a.AsSpan(b * T * N, T * N), u.AsSpan(b * T, T), m.AsSpan(b * T, T), Epsilon, statistics);
            var expected = new double[N];
            PamaSolver.Solve(statistics, expected);
            for (int i = 0; i < N; i++) Assert.Equal(expected[i], combined.RowWeights![b * N + i], 12);
            for (int t = 0; t < T; t++)
            {
                double sum = 0;
                for (int i = 0; i < N; i++) sum += expected[i] * Math.Max(a[(b * T + t) * N + i], 0);
                Assert.Equal(sum, combinedAdvantage[b * T + t], 12);
            }
        }
    }

    [Fact]
    public void TokenWeightsEqualTheoremOneOnEachTokensStatistics()
    {
        var (a, u, m, combined) = Run(WeightingGranularity.Token);
        double[] combinedAdvantage = TinyModels.Values(combined.Advantage);
        bool anyMixed = false;
        for (int row = 0; row < B * T; row++)
        {
            var statistics = new double[N];
            for (int i = 0; i < N; i++) statistics[i] = m[row] * NoonStatistic.Contribution(a[row * N + i], u[row], Epsilon);
            var expected = new double[N];
            // A padded token has no statistic and gets no weight.
            double s = m[row] > 0 ? PamaSolver.Solve(statistics, expected) : double.NaN;
            anyMixed |= m[row] > 0 && s == 0;
            double sum = 0;
            for (int i = 0; i < N; i++)
            {
                Assert.Equal(expected[i], combined.RowWeights![row * N + i], 12);
                sum += expected[i] * Math.Max(a[row * N + i], 0);
            }
            Assert.Equal(sum, combinedAdvantage[row], 12);
        }
        Assert.True(anyMixed, "the data should contain tokens with s* = 0");
    }

    [Fact]
    public void BatchStatisticIsTheMaskedMeanAndWeightsFollowTheoremOne()
    {
        var (a, u, m, combined) = Run(WeightingGranularity.Batch);
        var statistics = new double[N];
        NoonStatistic.Compute(a, u, m, Epsilon, statistics);
        var expected = new double[N];
        double s = PamaSolver.Solve(statistics, expected);
        Assert.Equal(s, combined.OptimalValue, 12);
        for (int i = 0; i < N; i++) Assert.Equal(expected[i], combined.Weights[i], 12);
        Assert.Equal(s != 0, combined.UpdatesPolicy);
    }
}
