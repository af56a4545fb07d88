using BenchmarkDotNet.Attributes;
using Pama.Weightings;

namespace Pama.Benchmarks;

/// <summary>
/// Weight computation for n objectives with d parameters. MGDA (Sener and Koltun 2018) needs the n explicit
/// gradients: Gramian (O(n² d)) plus the min-norm solve. PAMA (He and Maghsudi 2025) needs only the n scalar
/// statistics that the Noon PPO forward pass already produces: Theorem 1, O(n).
/// </summary>
[MemoryDiagnoser]
public class MgdaBenchmarks
{
    private readonly MgdaWeighting mgda = new();
    private double[] gradients = [];
    private double[] statistics = [];
    private double[] weights = [];

    [Params(10_000, 100_000, 1_000_000)]
    public int D { get; set; }

    [Params(2, 4, 8)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        gradients = new double[N * D];
        for (int i = 0; i < gradients.Length; i++)
        {
            gradients[i] = random.NextDouble() - 0.5;
        }

        statistics = new double[N];
        for (int i = 0; i < N; i++)
        {
            statistics[i] = random.NextDouble() - 0.3;
        }

        weights = new double[N];
    }

    [Benchmark(Baseline = true)]
    public void MgdaWeights() =>
        mgda.ComputeWeights(WeightingInput.FromGramian(MgdaWeighting.Gramian(gradients, N)), weights);

    [Benchmark]
    public double PamaWeights() => PamaSolver.Solve(statistics, weights);
}
