using Xunit;

namespace Pama.Mpi.Tests;

/// <summary>Runs every scenario once alone (whole batch) and once on two ranks (half each), for all tests of the class.</summary>
public sealed class TwoRankRuns : IDisposable
{
    public TwoRankRuns()
    {
        Single = Directory.CreateTempSubdirectory("pama-dp1-").FullName;
        Double = Directory.CreateTempSubdirectory("pama-dp2-").FullName;
        var one = WorkerRuns.Run(1, $"--out \"{Single}\"", TimeSpan.FromMinutes(5));
        Assert.True(one.ExitCode == 0, one.Output);
        var two = WorkerRuns.Run(2, $"--out \"{Double}\"", TimeSpan.FromMinutes(5));
        Assert.True(two.ExitCode == 0, two.Output);
    }

    public string Single { get; }

    public string Double { get; }

    public void Dispose()
    {
        Directory.Delete(Single, recursive: true);
        Directory.Delete(Double, recursive: true);
    }
}

/// <summary>
/// Exactness of data parallelism (float64, CPU): two ranks holding half of a fixed batch of responses and rewards each take
/// the same steps as one process holding all of it: statistics, weights, losses, KL, and the updated parameters agree
/// within 1e-9, for every PAMA granularity, MORLHF and MGDA-UB, with one and with several minibatches (a rank may hold no row
/// of a minibatch), and when the ranks sample their own responses (each draws the whole batch's uniforms and uses its rows);
/// and the two ranks end bitwise identical.
/// </summary>
public sealed class DataParallelExactnessTests(TwoRankRuns runs) : IClassFixture<TwoRankRuns>
{
    public static TheoryData<string> Scenarios => ["pama-batch", "pama-batch-mb4", "pama-sequence", "pama-token", "morlhf", "mgda-ub", "pama-sampled"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void TwoRanksEqualOneProcessOnTheWholeBatch(string scenario)
    {
        WorkerResult whole = WorkerRuns.Read(runs.Single, scenario, 0);
        Assert.Equal(1, whole.Ranks);
        for (int rank = 0; rank < 2; rank++)
        {
            WorkerResult half = WorkerRuns.Read(runs.Double, scenario, rank);
            Assert.Equal(2, half.Ranks);
            Assert.Equal(whole.Steps.Count, half.Steps.Count);
            for (int s = 0; s < whole.Steps.Count; s++)
                foreach (var (metric, expected) in whole.Steps[s])
                    AssertClose(expected, half.Steps[s][metric], $"{scenario} step {s + 1} {metric} (rank {rank})");
            foreach (var (name, expected) in whole.Parameters)
                AssertClose(expected, half.Parameters[name], $"{scenario} parameter {name} (rank {rank})");
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void RanksEndBitwiseIdentical(string scenario)
    {
        WorkerResult first = WorkerRuns.Read(runs.Double, scenario, 0), second = WorkerRuns.Read(runs.Double, scenario, 1);
        foreach (var (name, values) in first.Parameters)
            Assert.True(values.AsSpan().SequenceEqual(second.Parameters[name]), $"{scenario}: {name} differs between the ranks");
    }

    [Fact]
    public void TheScenariosMoveThePolicy()
    {
        // Guards against a vacuous comparison: the reference's parameters changed from the initial ones (the worker's
        // scenarios share the initial policy, so two scenarios with different methods must end apart).
        WorkerResult pama = WorkerRuns.Read(runs.Single, "pama-batch", 0), morlhf = WorkerRuns.Read(runs.Single, "morlhf", 0);
        Assert.Contains(pama.Parameters, kv => !kv.Value.AsSpan().SequenceEqual(morlhf.Parameters[kv.Key]));
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (int k = 0; k < expected.Length; k++)
        {
            if (double.IsNaN(expected[k])) { Assert.True(double.IsNaN(actual[k]), $"{what}[{k}]: {actual[k]}, expected NaN"); continue; }
            double tolerance = 1e-9 * Math.Max(1.0, Math.Abs(expected[k]));
            Assert.True(Math.Abs(expected[k] - actual[k]) <= tolerance, $"{what}[{k}]: {actual[k]}, expected {expected[k]}");
        }
    }
}
