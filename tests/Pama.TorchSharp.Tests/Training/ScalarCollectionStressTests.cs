using System.Diagnostics;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Training;
using Xunit;
using Xunit.Abstractions;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// The trainer with default options steps while another thread forces gen0 collections: no step may fail. TorchSharp
/// 0.107 frees a Scalar in its finalizer, so a temporary Scalar that reaches a native call (TorchSharp's own AdamW makes
/// about six per parameter per step) is freed mid-call under such collections and libtorch fails in Scalar::toFloat.
/// </summary>
/// <remarks>PAMA_SCALAR_STRESS_SECONDS sets the length (default 12 s) and PAMA_SCALAR_STRESS_PAUSE_MS the pause between
/// collections (default 1 ms, so that steps progress; 0 is a tight loop); benchmarks/scalar-stress.sh runs it for minutes.</remarks>
[Collection(ForcedCollectionsCollection.Name)]
public sealed class ScalarCollectionStressTests(ITestOutputHelper output)
{
    /// <summary>Default options, with short responses so that the run takes many steps.</summary>
    public static PamaTrainerOptions DefaultOptions() => new() { Generation = new SamplingOptions { MaxNewTokens = 6 } };

    [Fact]
    public void TrainerStepsWhileAnotherThreadForcesCollections()
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("PAMA_SCALAR_STRESS_SECONDS"), out double s) && s > 0 ? s : 12;
        int pause = int.TryParse(Environment.GetEnvironmentVariable("PAMA_SCALAR_STRESS_PAUSE_MS"), out int p) ? p : 1;
        var setup = Stopwatch.StartNew();
        var (trainer, _) = TinyModels.Trainer(DefaultOptions(), TinyModels.VowelsAndLength());
        using var _ = trainer;

        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                collections++;
                if (pause > 0) Thread.Sleep(pause);
            }
        }) { IsBackground = true };
        collector.Start();

        var failures = new List<string>();
        int steps = 0;
        output.WriteLine($"setup {setup.Elapsed.TotalSeconds:F1} s");
        var clock = Stopwatch.StartNew();
        try
        {
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                try { trainer.Step(TinyModels.Prompts); }
                catch (Exception e) { failures.Add($"step {steps}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
                steps++;
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }

        output.WriteLine($"{steps} steps in {clock.Elapsed.TotalSeconds:F1} s under {collections} forced gen0 collections; {failures.Count} failed.");
        Assert.True(collections > steps, $"the collector ran {collections} collections over {steps} steps; it must outpace the steps");
        Assert.True(failures.Count == 0, $"{failures.Count} of {steps} steps failed under {collections} forced gen0 collections:\n{string.Join("\n", failures.Take(5))}");
    }
}
