using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;

namespace Pama.Benchmarks;

/// <summary>
/// The weight solve alone, from a given n × n Gramian (n = 2..16), for every aggregator, next to PAMA's Theorem 1 solve
/// from n statistics. The Gramian is that of n gradients in n + 2 dimensions sharing a common component, so the
/// objectives partly conflict but no convex combination of them is 0 (Nash-MTL has a solution).
/// </summary>
[MemoryDiagnoser]
public class AggregatorSolveBenchmarks
{
    private IWeighting weighting = new MeanWeighting();
    private WeightingInput input;
    private double[] statistics = [];
    private double[] weights = [];

    [ParamsSource(nameof(Methods))]
    public string Method { get; set; } = "mgda";

    [Params(2, 4, 8, 16)]
    public int N { get; set; }

    public static IEnumerable<string> Methods => AggregatorMethods.Names;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(11);
        int d = N + 2;
        double[] common = [.. Enumerable.Range(0, d).Select(_ => random.NextDouble())];
        var gradients = Matrix<double>.Build.Dense(N, d, (i, k) => common[k] + (1.5 * (random.NextDouble() - 0.5)));
        input = WeightingInput.FromGramian(gradients * gradients.Transpose());
        statistics = [.. Enumerable.Range(0, N).Select(_ => random.NextDouble() - 0.3)];
        weights = new double[N];
        weighting = AggregatorMethods.Create(Method);
    }

    [Benchmark]
    public double Solve() => weighting.ComputeWeights(input, weights);

    [Benchmark]
    public double Pama() => PamaSolver.Solve(statistics, weights);
}
