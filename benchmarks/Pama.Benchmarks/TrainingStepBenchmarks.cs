using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// One full training step (rollout with KV-cache sampling, rewards, GAE, 4 PPO epochs with one backward
/// each) per configuration, see <see cref="TrainingStepSetup.Trainer"/>. Single-objective Noon PPO is PAMA
/// with n = 1; PAMA's extra work over it is the n statistics, one host copy of n numbers and Theorem 1 per
/// update. MGDA-UB pays n extra backward passes through the output layer per update.
/// Runs with one intra-op thread (see <see cref="Setup"/>).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class TrainingStepBenchmarks
{
    private PamaTrainer<Gpt2Model>? _trainer;
    private readonly List<(double CpuSeconds, StepMetrics Metrics)> _steps = [];

    /// <summary>Method and objective count, e.g. "PAMA n=4".</summary>
    [ParamsSource(nameof(Cases))]
    public StepCase Case { get; set; } = StepCase.NoonPpo;

    /// <summary>The compared configurations.</summary>
    public static IEnumerable<StepCase> Cases => StepCase.All;

    [GlobalSetup]
    public void Setup()
    {
        // One intra-op thread: on a shared machine multi-threaded step times vary several-fold between runs.
        set_num_threads(1);
        _trainer = TrainingStepSetup.Trainer(Case);
    }

    /// <summary>
    /// Prints, next to BenchmarkDotNet's wall-clock statistics, the process CPU time per step (less sensitive
    /// to other processes on a shared machine, since the step runs on one thread) and the time spent forming
    /// the combined advantage, both from the same steps.
    /// </summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _trainer?.Dispose();
        if (_steps.Count == 0) return;
        double[] cpu = [.. _steps.Select(s => s.CpuSeconds).Order()];
        double weighting = _steps.Average(s => s.Metrics.WeightingSeconds);
        double wall = _steps.Average(s => s.Metrics.Seconds);
        Console.WriteLine(
            $"// TrainingStep [{Case}] steps={_steps.Count} cpu-median={cpu[cpu.Length / 2]:F3}s cpu-mean={cpu.Average():F3}s " +
            $"weighting={weighting * 1e3:F2}ms/step ({100 * weighting / wall:F3}% of the step) " +
            $"stationary-updates={_steps.Sum(s => s.Metrics.StationaryUpdates)}/{_steps.Sum(s => s.Metrics.Updates)}");
    }

    [Benchmark]
    public StepMetrics Step()
    {
        TimeSpan before = Process.GetCurrentProcess().TotalProcessorTime;
        StepMetrics metrics = _trainer!.Step(TrainingStepSetup.Prompts);
        _steps.Add(((Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds, metrics));
        return metrics;
    }
}
