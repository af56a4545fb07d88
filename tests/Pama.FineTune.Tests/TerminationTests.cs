using System.Diagnostics;
using Pama.TorchSharp.Tests.Models;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>
/// The sample treats SIGTERM (a plain <c>kill</c>, <c>docker stop</c>, a scheduler's preemption) like Ctrl+C: it finishes the
/// step, writes the checkpoint and the outputs so far, and exits with 143. <c>--resume</c> on a folder without a checkpoint says
/// so and starts from step 0.
/// </summary>
public sealed class TerminationTests
{
    [Fact]
    public async Task ResumeWithoutACheckpointSaysSoThenSigtermFinishesTheStepWritesTheCheckpointAndExitsWith143()
    {
        using var dir = new TestDirectory();
        // --resume on an empty folder: said, then the run starts from step 0 (one pretraining serves both checks).
        using Process sample = Start($"--method pama --seeds 1 --steps 40 --batch-size 8 --resume --out \"{dir.Path}\"");
        var lines = new List<string>();
        string? line;
        var clock = Stopwatch.StartNew();
        // Pretraining, then steps: signal once the second step is reported.
        while ((line = await sample.StandardOutput.ReadLineAsync()) is not null)
        {
            lines.Add(line);
            if (line.Contains("PAMA seed 1 2/40", StringComparison.Ordinal)) break;
        }
        Assert.True(line is not null, "the sample ended before step 2:\n" + string.Join('\n', lines));
        using (Process kill = Process.Start("kill", $"-TERM {sample.Id}")) await kill.WaitForExitAsync();
        string rest = await sample.StandardOutput.ReadToEndAsync();
        string errors = await sample.StandardError.ReadToEndAsync();
        await sample.WaitForExitAsync();

        Assert.True(sample.ExitCode == 143, $"exit code {sample.ExitCode}\n{rest}\n{errors}");
        Assert.Contains("SIGTERM", errors);
        Assert.Matches(@"interrupted at step \d+; checkpoint saved", rest);
        Assert.True(File.Exists(Path.Combine(dir.Path, "runs", "pama-seed1", "trainer.ckpt")), "no checkpoint");
        Assert.True(File.Exists(Path.Combine(dir.Path, "metrics.csv")), "no metrics");
        int stoppedAt = int.Parse(System.Text.RegularExpressions.Regex.Match(rest, @"interrupted at step (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(stoppedAt, 2, 39);
        string all = string.Join('\n', lines);
        Assert.Contains("holds no checkpoint", all);
        Assert.Contains("PAMA seed 1 has no checkpoint", all);
        Assert.Contains("starts from step 0", all);
    }

    private static Process Start(string arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Pama.FineTune.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the sample.");
    }
}
