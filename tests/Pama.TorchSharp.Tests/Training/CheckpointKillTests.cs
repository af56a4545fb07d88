using System.Diagnostics;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A process killed (SIGKILL) while it saves never leaves a checkpoint that does not load.</summary>
public sealed class CheckpointKillTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-checkpoint-kill-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void KillingTheWriterMidSaveLeavesALoadableCheckpoint()
    {
        string path = Path.Combine(_directory, "trainer.ckpt");
        var random = new Random(5);
        int killedMidWrite = 0;
        for (int round = 0; round < 3; round++)
        {
            using var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!)
            {
                ArgumentList = { typeof(ChildProcess).Assembly.Location, ChildProcess.SaveCheckpointsForever, path },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            try
            {
                // Wait for a few complete saves, then kill at a random moment of the save loop.
                for (int saves = 0; saves < 3; saves++)
                {
                    string? line = child.StandardOutput.ReadLine();
                    if (line is null) Assert.Fail($"The child exited early: {child.StandardError.ReadToEnd()}");
                }
                Thread.Sleep(random.Next(0, 15));
            }
            finally
            {
                child.Kill();
                child.WaitForExit(TimeSpan.FromSeconds(30));
            }
            // A killed save leaves its temporary file behind; the checkpoint itself is the previous complete one.
            killedMidWrite += Directory.GetFiles(_directory, ".trainer.ckpt.*.tmp").Length > 0 ? 1 : 0;
            foreach (string temporary in Directory.GetFiles(_directory, ".trainer.ckpt.*.tmp")) File.Delete(temporary);

            var policy = TinyModels.Gpt2(77);
            using var trainer = new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer,
                [RewardObjective.FromText("length", (p, r) => r.Length)], TinyModels.Options());
            trainer.Load(path);
            // The child never stepped, so every checkpoint it wrote holds the initial policy Gpt2(1).
            Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(TinyModels.Gpt2(1)), TinyModels.Snapshot(policy)));
        }
        // Reported rather than asserted (it depends on timing): how often the kill landed inside a write.
        Console.WriteLine($"{killedMidWrite} of 3 kills interrupted a write.");
    }
}
