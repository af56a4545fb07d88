using BenchmarkDotNet.Attributes;

namespace Pama.Benchmarks;

/// <summary>
/// PamaSolver.Solve (span overload, Theorem 1 of He and Maghsudi 2025) on one vector of n statistics.
/// Mixed signs without zeros is the most expensive case (min/max pass, two counts, one write pass).
/// </summary>
[MemoryDiagnoser]
public class SolverBenchmarks
{
    private double[] statistics = [];
    private double[] weights = [];

    [Params(2, 8, 64, 1024)]
    public int N { get; set; }

    [Params(StatisticSigns.Mixed, StatisticSigns.Positive)]
    public StatisticSigns Signs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1234);
        statistics = new double[N];
        for (int i = 0; i < N; i++)
        {
            double magnitude = 0.01 + random.NextDouble();
            statistics[i] = Signs == StatisticSigns.Positive || i % 2 == 0 ? magnitude : -magnitude;
        }

        weights = new double[N];
    }

    [Benchmark]
    public double Solve() => PamaSolver.Solve(statistics, weights);
}

/// <summary>Sign pattern of the benchmark statistics.</summary>
public enum StatisticSigns
{
    /// <summary>Alternating signs: s* = 0, two-point mix.</summary>
    Mixed,

    /// <summary>All positive: s* = min, mass on the argmin.</summary>
    Positive,
}
