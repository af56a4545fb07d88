using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Pama.Mpi.Tests;

/// <summary>
/// The sample under <c>mpirun -np 2 ... --data-parallel</c>: rank 1 SIGKILLed after the first checkpoint ends the job within
/// seconds, and <c>--resume</c> then finishes the run on both ranks with the held-out results of an uninterrupted run.
/// </summary>
public sealed class SampleResumeTests
{
    private const string Run = "pama-seed1";
    private const string Common = "--data-parallel --method pama --seeds 1 --steps 14 --batch-size 8 --threads 1";

    [Fact]
    public async Task KilledRankEndsTheJobAndResumeFinishesLikeAnUninterruptedRun()
    {
        string work = Directory.CreateTempSubdirectory("pama-dp-sample-").FullName;
        try
        {
            string whole = Path.Combine(work, "whole"), killed = Path.Combine(work, "killed");
            var reference = Launch($"{Common} --out \"{whole}\"", TimeSpan.FromMinutes(8));
            Assert.True(reference.ExitCode == 0, reference.Output);

            // The pretrained policy is a cache keyed by its manifest: copied, the second run skips pretraining.
            CopyDirectory(Path.Combine(whole, "pretrained"), Path.Combine(killed, "pretrained"));
            string checkpoint = Path.Combine(killed, "runs", Run, "trainer.ckpt");
            using Process job = Start($"{Common} --out \"{killed}\"", out Task<string> output);
            var deadline = Stopwatch.StartNew();
            while (!File.Exists(checkpoint) && !job.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(5)) Thread.Sleep(50);
            if (!File.Exists(checkpoint))
            {
                if (!job.HasExited) job.Kill(entireProcessTree: true);
                Assert.Fail("no checkpoint after step 10\n" + await output);
            }
            Process rank1 = RankProcess(killed, rank: 1);
            var sinceKill = Stopwatch.StartNew();
            rank1.Kill();   // SIGKILL
            bool ended = job.WaitForExit(TimeSpan.FromMinutes(2));
            if (!ended) job.Kill(entireProcessTree: true);
            Assert.True(ended && sinceKill.Elapsed < TimeSpan.FromSeconds(30), $"the job ran on {sinceKill.Elapsed} after rank 1 was killed");
            Assert.NotEqual(0, job.ExitCode);
            string killedOutput = await output;
            Assert.False(File.Exists(Path.Combine(killed, "summary.md")), "the killed run wrote a summary\n" + killedOutput);

            var resumed = Launch($"{Common} --out \"{killed}\" --resume", TimeSpan.FromMinutes(8));
            Assert.True(resumed.ExitCode == 0, resumed.Output);
            Assert.Contains("resuming at step 10", resumed.Output);
            Assert.True(File.Exists(Path.Combine(killed, "summary.md")), "rank 0 wrote no summary");
            Assert.True(File.Exists(Path.Combine(killed, "rank1", "summary.md")), "rank 1 wrote no summary");

            // Bitwise resume: the same held-out rewards and responses as the run that was never stopped.
            (string Rewards, string Responses) expected = HeldOut(whole), actual = HeldOut(killed);
            Assert.Equal(expected, actual);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static (string Rewards, string Responses) HeldOut(string output)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "runs", Run, "heldout.json")));
        return (document.RootElement.GetProperty("MeanRewards").GetRawText(), document.RootElement.GetProperty("Responses").GetRawText());
    }

    /// <summary>The sample's program, built beside this test assembly's configuration.</summary>
    private static string SampleDll
    {
        get
        {
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string framework = here.Name, configuration = here.Parent!.Name;
            string root = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
            string dll = Path.Combine(root, "samples", "Pama.FineTune", "bin", configuration, framework, "Pama.FineTune.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"The sample was not built: {dll}", dll);
            return dll;
        }
    }

    private static Process Start(string arguments, out Task<string> output)
    {
        var info = new ProcessStartInfo(WorkerRuns.Mpirun(), $"-np 2 dotnet \"{SampleDll}\" {arguments}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        Process process = Process.Start(info) ?? throw new InvalidOperationException("Could not start mpirun.");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        output = Task.WhenAll(stdout, stderr).ContinueWith(_ => stdout.Result + stderr.Result, TaskScheduler.Default);
        return process;
    }

    private static (int ExitCode, string Output) Launch(string arguments, TimeSpan timeout)
    {
        using Process process = Start(arguments, out Task<string> output);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the sample did not finish within {timeout}.\n{output.Result}");
        }
        return (process.ExitCode, output.Result);
    }

    /// <summary>The sample's process of <paramref name="rank"/> writing to <paramref name="output"/> (MPICH sets PMI_RANK).</summary>
    private static Process RankProcess(string output, int rank)
    {
        foreach (Process candidate in Process.GetProcessesByName("dotnet"))
        {
            try
            {
                string commandLine = File.ReadAllText($"/proc/{candidate.Id}/cmdline");
                string environment = File.ReadAllText($"/proc/{candidate.Id}/environ");
                if (commandLine.Contains("Pama.FineTune.dll", StringComparison.Ordinal) && commandLine.Contains(output, StringComparison.Ordinal)
                    && environment.Split('\0').Contains($"PMI_RANK={rank}"))
                    return candidate;
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }
        throw new InvalidOperationException($"no rank {rank} process of the sample writing to {output}");
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
