using BenchmarkDotNet.Attributes;
using Pama.Statistics;

namespace Pama.Benchmarks;

/// <summary>
/// Noon statistics of one PPO batch: 128 responses × 256 tokens, n objectives, [tokens × n] advantages.
/// This is all the per-step work PAMA adds on top of a plain PPO step besides the O(n) solve.
/// </summary>
[MemoryDiagnoser]
public class StatisticsBenchmarks
{
    private const int Tokens = 128 * 256;

    private double[] advantages = [];
    private double[] ratios = [];
    private double[] mask = [];
    private double[] statistics = [];

    [Params(2, 4)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(5);
        advantages = new double[Tokens * N];
        for (int i = 0; i < advantages.Length; i++)
        {
            advantages[i] = random.NextDouble() - 0.5;
        }

        ratios = new double[Tokens];
        mask = new double[Tokens];
        for (int t = 0; t < Tokens; t++)
        {
            ratios[t] = Math.Exp((random.NextDouble() - 0.5) * 0.6);
            mask[t] = t % 256 < 200 ? 1.0 : 0.0;
        }

        statistics = new double[N];
    }

    [Benchmark]
    public void NoonStatistics() => NoonStatistic.Compute(advantages, ratios, mask, 0.2, statistics);

    [Benchmark]
    public double AccumulatorAddRange()
    {
        var accumulator = new ObjectiveAccumulator();
        accumulator.AddRange(advantages);
        return accumulator.Variance;
    }
}
