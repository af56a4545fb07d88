using Xunit;

namespace Pama.Mpi.Tests;

/// <summary>Runs every scenario alone (whole batch) and on two ranks (3 and 7 rows); a selection on three (3, 3 and 4 rows).</summary>
public sealed class TwoRankRuns : IDisposable
{
    public TwoRankRuns()
    {
        Single = Directory.CreateTempSubdirectory("pama-dp1-").FullName;
        Double = Directory.CreateTempSubdirectory("pama-dp2-").FullName;
        Triple = Directory.CreateTempSubdirectory("pama-dp3-").FullName;
        var one = WorkerRuns.Run(1, $"--out \"{Single}\"", TimeSpan.FromMinutes(10));
        Assert.True(one.ExitCode == 0, one.Output);
        var two = WorkerRuns.Run(2, $"--out \"{Double}\"", TimeSpan.FromMinutes(15));
        Assert.True(two.ExitCode == 0, two.Output);
        var three = WorkerRuns.Run(3, $"--out \"{Triple}\" --only {string.Join(',', DataParallelExactnessTests.ThreeRankNames)}", TimeSpan.FromMinutes(10));
        Assert.True(three.ExitCode == 0, three.Output);
    }

    public string Single { get; }

    public string Double { get; }

    public string Triple { get; }

    /// <summary>The output folder of the run with <paramref name="ranks"/> ranks.</summary>
    public string Of(int ranks) => ranks switch { 1 => Single, 2 => Double, _ => Triple };

    public void Dispose()
    {
        Directory.Delete(Single, recursive: true);
        Directory.Delete(Double, recursive: true);
        Directory.Delete(Triple, recursive: true);
    }
}

/// <summary>
/// Exactness of data parallelism (float64, CPU): two ranks (3 and 7 rows) and three ranks (3, 3 and 4 rows) of a fixed batch
/// of responses and rewards each take the same steps as one process holding all of it: statistics, weights, losses, KL, and
/// the updated parameters agree within 1e-9, for every PAMA granularity, every shipped method, a Gramian method on a LoRA
/// adapter and on named parameters, and a method written outside the library that reads the batch's rewards; with one and
/// with several minibatches (a rank holds no row of some minibatches), whitening, a critic through the trunk, and when the
/// ranks sample their own responses; and the ranks end bitwise identical.
/// </summary>
public sealed class DataParallelExactnessTests(TwoRankRuns runs) : IClassFixture<TwoRankRuns>
{
    private static readonly string[] Names =
    [
        "pama-batch", "pama-batch-mb4", "pama-sequence", "pama-token", "pama-sequence-mb5", "pama-token-mb5", "pama-whiten-trunk",
        "morlhf", "morlhf-whiten-lora", "mgda-ub", "mgda-ub-whiten-mb3", "gdpo", "mgda-lora", "mgda-last-block", "lowest-reward-first",
        "pama-sampled", "constrained", "catalog-tchebycheff", "catalog-smooth-tchebycheff", "catalog-dwa", "catalog-famo",
        "catalog-upgrad", "catalog-dualproj", "catalog-pcgrad", "catalog-cagrad", "catalog-imtl-g", "catalog-aligned-mtl",
        "catalog-nash-mtl", "catalog-mean", "catalog-random",
        "pama-token-mb5+micro1", "pama-whiten-trunk+micro2", "morlhf-whiten-lora+micro2", "mgda-ub-whiten-mb3+micro2", "mgda-lora+micro2",
        "pama-sampled+micro2", "catalog-upgrad+micro2",
    ];

    /// <summary>
    /// The scenarios also run on three ranks (3, 3 and 4 rows): every granularity with empty shares, whitening, the critic through
    /// the trunk, LoRA, MGDA-UB, a Gramian method, the outside method and two stateful ones (all of them run on two ranks).
    /// </summary>
    public static readonly string[] ThreeRankNames =
    [
        "pama-batch-mb4", "pama-sequence-mb5", "pama-token-mb5", "pama-whiten-trunk", "morlhf-whiten-lora", "mgda-ub-whiten-mb3", "gdpo",
        "mgda-lora", "lowest-reward-first", "catalog-famo", "catalog-pcgrad",
        "pama-token-mb5+micro1", "pama-whiten-trunk+micro2", "mgda-ub-whiten-mb3+micro2", "mgda-lora+micro2",
    ];

    /// <summary>The scenarios run in micro-batches (generation, scoring and updates), each with its unsplit original.</summary>
    public static TheoryData<string, int> SplitAndRanks
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (string name in Names.Where(n => n.Contains("+micro", StringComparison.Ordinal)))
            {
                data.Add(name, 1);
                data.Add(name, 2);
                if (ThreeRankNames.Contains(name)) data.Add(name, 3);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(SplitAndRanks))]
    public void MicroBatchesOnEveryRankEqualOneUnsplitProcess(string scenario, int ranks)
    {
        WorkerResult whole = WorkerRuns.Read(runs.Single, scenario[..scenario.IndexOf("+micro", StringComparison.Ordinal)], 0);
        for (int rank = 0; rank < ranks; rank++)
        {
            WorkerResult split = WorkerRuns.Read(runs.Of(ranks), scenario, rank);
            Assert.Equal(whole.Steps.Count, split.Steps.Count);
            for (int s = 0; s < whole.Steps.Count; s++)
                foreach (var (metric, expected) in whole.Steps[s])
                    AssertClose(expected, split.Steps[s][metric], $"{scenario} step {s + 1} {metric} (rank {rank} of {ranks})");
            foreach (var (name, expected) in whole.Parameters)
                AssertClose(expected, split.Parameters[name], $"{scenario} parameter {name} (rank {rank} of {ranks})");
        }
    }

    [Fact]
    public void EveryScenarioOfTheWorkerIsCompared()
    {
        // The worker adds a scenario for every method of the library's catalogue; each must be in the list above.
        Assert.Equal(File.ReadAllLines(Path.Combine(runs.Single, "scenarios.txt")).Order(), Names.Order());
    }

    public static TheoryData<string> Scenarios => [.. Names];

    public static TheoryData<string, int> ScenariosAndRanks
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (string name in Names)
            {
                data.Add(name, 2);
                if (ThreeRankNames.Contains(name)) data.Add(name, 3);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ScenariosAndRanks))]
    public void RanksEqualOneProcessOnTheWholeBatch(string scenario, int ranks)
    {
        WorkerResult whole = WorkerRuns.Read(runs.Single, scenario, 0);
        Assert.Equal(1, whole.Ranks);
        for (int rank = 0; rank < ranks; rank++)
        {
            WorkerResult half = WorkerRuns.Read(runs.Of(ranks), scenario, rank);
            Assert.Equal(ranks, half.Ranks);
            Assert.Equal(whole.Steps.Count, half.Steps.Count);
            for (int s = 0; s < whole.Steps.Count; s++)
                foreach (var (metric, expected) in whole.Steps[s])
                    AssertClose(expected, half.Steps[s][metric], $"{scenario} step {s + 1} {metric} (rank {rank})");
            foreach (var (name, expected) in whole.Parameters)
                AssertClose(expected, half.Parameters[name], $"{scenario} parameter {name} (rank {rank})");
        }
    }

    [Theory]
    [MemberData(nameof(ScenariosAndRanks))]
    public void RanksEndBitwiseIdentical(string scenario, int ranks)
    {
        WorkerResult first = WorkerRuns.Read(runs.Of(ranks), scenario, 0);
        for (int rank = 1; rank < ranks; rank++)
        {
            WorkerResult other = WorkerRuns.Read(runs.Of(ranks), scenario, rank);
            foreach (var (name, values) in first.Parameters)
                Assert.True(values.AsSpan().SequenceEqual(other.Parameters[name]), $"{scenario}: {name} differs between ranks 0 and {rank}");
        }
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void EveryScenarioMovesThePolicy(string scenario)
    {
        // Guards against a vacuous comparison: some parameter left its initial value (the LoRA scenarios: the adapter).
        WorkerResult run = WorkerRuns.Read(runs.Single, scenario, 0);
        Assert.Contains(run.Steps, s => s["StationaryUpdates"][0] < s["Updates"][0]);
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
