using Xunit;

namespace Pama.Mpi.Tests;

/// <summary>
/// A rank that fails ends the whole job within seconds (MPI_Abort), never a hang; ranks that hold different states
/// (one resumed, the other not) are stopped before their first collective with a message naming the disagreement.
/// </summary>
public sealed class FailingRankTests
{
    // Far above the few seconds an abort takes, far below the 3-minute timeout that marks a hang.
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(60);

    [Fact]
    public void AnExceptionOnOneRankEndsTheJob()
    {
        string work = Directory.CreateTempSubdirectory("pama-dp-throw-").FullName;
        try
        {
            // Rank 1 throws before step 2 while rank 0 waits for it in step 2's first collective.
            var run = WorkerRuns.Run(2, $"--out \"{work}\" --only pama-batch --steps 3 --throw-rank 1 --throw-at-step 2", TimeSpan.FromMinutes(3));
            Assert.NotEqual(0, run.ExitCode);
            Assert.Contains("rank 1 fails on purpose before step 2", run.Output);
            Assert.True(run.Elapsed < Quick, $"the job took {run.Elapsed} to end");
            Assert.False(File.Exists(Path.Combine(work, "pama-batch.rank0.json")), "rank 0 finished although rank 1 failed");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void AnExceptionInsideACollectiveEndsTheJob()
    {
        string work = Directory.CreateTempSubdirectory("pama-dp-mismatch-").FullName;
        try
        {
            // Rank 1 sums 1000 numbers while rank 0 sums the few of the trainer's first collective: MPI fails inside the sum.
            var run = WorkerRuns.Run(2, $"--out \"{work}\" --only pama-batch --steps 2 --mismatch-rank 1", TimeSpan.FromMinutes(3));
            Assert.NotEqual(0, run.ExitCode);
            Assert.True(run.Elapsed < Quick, $"the job took {run.Elapsed} to end");
            Assert.False(File.Exists(Path.Combine(work, "pama-batch.rank0.json")), "rank 0 finished although the ranks' sums did not match");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void RanksThatDisagreeOnTheCheckpointFailWithAMessage()
    {
        string work = Directory.CreateTempSubdirectory("pama-dp-disagree-").FullName;
        try
        {
            string checkpoint = Path.Combine(work, "trainer.ckpt");
            var first = WorkerRuns.Run(2, $"--out \"{work}\" --only pama-batch --steps 2 --checkpoint \"{checkpoint}\"", TimeSpan.FromMinutes(3));
            Assert.True(first.ExitCode == 0, first.Output);

            // Only rank 0 loads: it is at step 2, rank 1 at step 0. Without the check they would call different collectives.
            var resumed = WorkerRuns.Run(2, $"--out \"{work}\" --only pama-batch --steps 3 --checkpoint \"{checkpoint}\" --resume --resume-rank 0",
                TimeSpan.FromMinutes(3));
            Assert.NotEqual(0, resumed.ExitCode);
            Assert.Contains("disagree on the step counter", resumed.Output);
            Assert.Contains("rank 0 has 2, rank 1 has 0", resumed.Output);
            Assert.DoesNotContain("MessageTruncated", resumed.Output);
            Assert.True(resumed.Elapsed < Quick, $"the job took {resumed.Elapsed} to end");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
