using BenchmarkDotNet.Attributes;

namespace Pama.Benchmarks;

/// <summary>
/// PamaSolver.SolveBatch on 1M independent rows of n = 4 statistics. OperationsPerInvoke is rows × n, so the
/// reported Mean is the time per row-objective and throughput = 1e9 / Mean[ns] row-objectives per second.
/// </summary>
[MemoryDiagnoser]
public class SolverBatchBenchmarks
{
    private const int Rows = 1_000_000;
    private const int Objectives = 4;
    private const int RowObjectives = Rows * Objectives;

    private double[] statistics = [];
    private double[] values = [];
    private double[] weights = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(99);
        statistics = new double[RowObjectives];
        for (int i = 0; i < statistics.Length; i++)
        {
            // Roughly a third of rows all-positive, the rest mixed: every branch of Theorem 1 is exercised.
            statistics[i] = (random.NextDouble() * 2.0) - 0.6;
        }

        values = new double[Rows];
        weights = new double[RowObjectives];
    }

    [Benchmark(OperationsPerInvoke = RowObjectives)]
    public void SolveBatchWithWeights() => PamaSolver.SolveBatch(statistics, Objectives, values, weights);

    [Benchmark(OperationsPerInvoke = RowObjectives)]
    public void SolveBatchValuesOnly() => PamaSolver.SolveBatch(statistics, Objectives, values);

    [Benchmark(OperationsPerInvoke = RowObjectives, Baseline = true)]
    public void ScalarSolvePerRow()
    {
        for (int row = 0; row < Rows; row++)
        {
            values[row] = PamaSolver.Solve(
                statistics.AsSpan(row * Objectives, Objectives), weights.AsSpan(row * Objectives, Objectives));
        }
    }
}
