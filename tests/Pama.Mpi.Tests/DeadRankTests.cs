using Xunit;

namespace Pama.Mpi.Tests;

/// <summary>A worker that dies ends the job within a bounded time, and the job resumes from rank 0's last checkpoint.</summary>
public sealed class DeadRankTests
{
    [Fact]
    public void KilledRankEndsTheJobAndTheRunResumesFromTheLastCheckpoint()
    {
        string work = Directory.CreateTempSubdirectory("pama-dp-kill-").FullName;
        try
        {
            string checkpoint = Path.Combine(work, "trainer.ckpt");
            string common = $"--only pama-batch --steps 3 --checkpoint \"{checkpoint}\"";

            // Rank 1 kills itself before step 3; rank 0 is then blocked in a collective and must be stopped by the launcher.
            var killed = WorkerRuns.Run(2, $"--out \"{Path.Combine(work, "killed")}\" {common} --kill-rank 1 --kill-at-step 3", TimeSpan.FromMinutes(3));
            Assert.NotEqual(0, killed.ExitCode);
            Assert.True(killed.Elapsed < TimeSpan.FromMinutes(2), $"the job took {killed.Elapsed} to fail");
            Assert.False(File.Exists(Path.Combine(work, "killed", "pama-batch.rank0.json")), "rank 0 finished although rank 1 died");
            Assert.True(File.Exists(checkpoint), "no checkpoint from the steps before the failure");

            var resumed = WorkerRuns.Run(2, $"--out \"{Path.Combine(work, "resumed")}\" {common} --resume", TimeSpan.FromMinutes(3));
            Assert.True(resumed.ExitCode == 0, resumed.Output);
            var whole = WorkerRuns.Run(1, $"--out \"{Path.Combine(work, "whole")}\" --only pama-batch --steps 3", TimeSpan.FromMinutes(3));
            Assert.True(whole.ExitCode == 0, whole.Output);

            WorkerResult expected = WorkerRuns.Read(Path.Combine(work, "whole"), "pama-batch", 0);
            WorkerResult actual = WorkerRuns.Read(Path.Combine(work, "resumed"), "pama-batch", 0);
            // The resume continues after the last checkpoint that completed (step 1 or 2: the launcher may stop rank 0 while it
            // writes step 2's, and the atomic write then leaves step 1's) and ends at step 3.
            Assert.InRange(actual.Steps.Count, 1, 2);
            Assert.Equal(3.0, actual.Steps[^1]["Step"][0]);
            foreach (var (name, values) in expected.Parameters)
                for (int k = 0; k < values.Length; k++)
                    Assert.True(Math.Abs(values[k] - actual.Parameters[name][k]) <= 1e-9, $"{name}[{k}]: {actual.Parameters[name][k]} vs {values[k]}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
