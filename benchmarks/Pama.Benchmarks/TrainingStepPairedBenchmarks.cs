using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using static Pama.Benchmarks.PairedTimes;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Paired comparison of PAMA (n = 2, 4, 8) with single-objective Noon PPO, robust to load from other
/// processes: one operation takes one training step of EVERY configuration, in an order that rotates from
/// round to round, so slow and fast periods of a shared machine hit all configurations alike. BenchmarkDotNet's
/// own numbers are per round; the per-configuration result is printed at cleanup: median step time (wall and
/// process CPU), and the median and the mean ± standard error over rounds of the ratio to Noon PPO in the same round.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 40)]
public class TrainingStepPairedBenchmarks
{
    private static readonly StepCase[] Compared = [.. StepCase.All.Where(c => c.Method is PamaMethod)];

    private PamaTrainer<Gpt2Model>[] _trainers = [];
    private readonly List<double>[] _wall = [.. Compared.Select(_ => new List<double>())];
    private readonly List<double>[] _cpu = [.. Compared.Select(_ => new List<double>())];
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _trainers = [.. Compared.Select(TrainingStepSetup.Trainer)];
    }

    [Benchmark]
    public void RoundOfSteps()
    {
        for (int k = 0; k < Compared.Length; k++)
        {
            int c = (k + _round) % Compared.Length;
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            StepMetrics metrics = _trainers[c].Step(TrainingStepSetup.Prompts);
            _cpu[c].Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
            _wall[c].Add(metrics.Seconds);
        }
        _round++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var trainer in _trainers) trainer.Dispose();
        for (int c = 0; c < Compared.Length; c++)
        {
            Console.WriteLine(
                $"// Paired [{Compared[c]}] rounds={_wall[c].Count} wall-median={Median(_wall[c]):F3}s cpu-median={Median(_cpu[c]):F3}s " +
                $"wall-ratio-to-noon median={Median(Ratios(_wall, c)):F4} mean={MeanAndError(Ratios(_wall, c))} " +
                $"cpu-ratio-to-noon median={Median(Ratios(_cpu, c)):F4} mean={MeanAndError(Ratios(_cpu, c))}");
        }
    }
}
