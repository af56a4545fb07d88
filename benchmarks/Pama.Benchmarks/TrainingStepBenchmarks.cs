using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// One full training step (rollout with KV-cache sampling, rewards, GAE, 4 PPO epochs with one backward
/// each) on a small random GPT-2 (2 layers, width 128, GPT-2's 50257-token vocabulary), CPU, float32.
/// Single-objective Noon PPO is PAMA with n = 1; PAMA's extra work over it is the n statistics, one
/// host copy of n numbers and Theorem 1 per update, so its step time should stay within a few percent
/// at every n. MGDA-UB pays n extra backward passes through the output layer per update.
/// Runs with one intra-op thread (see <see cref="Setup"/>).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 3, iterationCount: 15)]
public class TrainingStepBenchmarks
{
    private static readonly string[] Prompts =
    [
        "The movie was", "I think that", "Yesterday we went to", "The best part of the book",
        "My favourite food is", "In the morning the city", "She opened the door and", "This product is",
    ];

    private PamaTrainer<Gpt2Model>? _trainer;

    /// <summary>Method and objective count, e.g. "PAMA n=4".</summary>
    [ParamsSource(nameof(Cases))]
    public StepCase Case { get; set; } = StepCase.All[0];

    /// <summary>The compared configurations.</summary>
    public static IEnumerable<StepCase> Cases => StepCase.All;

    [GlobalSetup]
    public void Setup()
    {
        // One intra-op thread: on a shared machine multi-threaded step times vary several-fold between runs.
        set_num_threads(1);
        var config = new Gpt2Config
        {
            ContextLength = 64, HiddenSize = 128, LayerCount = 2, HeadCount = 4,
        }.WithoutDropout();
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        var objectives = Enumerable.Range(0, Case.Objectives).Select(Objective).ToArray();
        var options = new PamaTrainerOptions
        {
            Method = Case.Method,
            PreferenceWeights = null,
            Seed = 7,
            Generation = new SamplingOptions { MaxNewTokens = 24 },
        };
        _trainer = new PamaTrainer<Gpt2Model>(new Gpt2Model(config, 1), new Gpt2Model(config, 1), tokenizer, objectives, options);
        _trainer.Step(Prompts);
    }

    [GlobalCleanup]
    public void Cleanup() => _trainer?.Dispose();

    [Benchmark]
    public StepMetrics Step() => _trainer!.Step(Prompts);

    // Cheap objectives that disagree: the share of one letter each in the response, plus a length term.
    private static IRewardObjective Objective(int k) => k == 0
        ? RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 70.0, 0.5, 1.5))
        : RewardObjective.FromText($"letter-{"etaoinsh"[k % 8]}", (prompt, response) =>
            (response.Count(c => c == "etaoinsh"[k % 8]) + 1.0) / (response.Length + 1.0));
}

/// <summary>A benchmark configuration: a method and a number of objectives.</summary>
/// <param name="Name">Display name.</param>
/// <param name="Method">Training method.</param>
/// <param name="Objectives">Number of objectives.</param>
public sealed record StepCase(string Name, TrainingMethod Method, int Objectives)
{
    /// <summary>Single-objective Noon PPO, PAMA at n = 2, 4, 8, MORLHF and MGDA-UB at n = 2 and 8.</summary>
    public static readonly StepCase[] All =
    [
        new("Noon PPO n=1", TrainingMethod.Pama, 1),
        new("PAMA n=2", TrainingMethod.Pama, 2),
        new("PAMA n=4", TrainingMethod.Pama, 4),
        new("PAMA n=8", TrainingMethod.Pama, 8),
        new("MORLHF n=2", TrainingMethod.Morlhf, 2),
        new("MORLHF n=8", TrainingMethod.Morlhf, 8),
        new("MGDA-UB n=2", TrainingMethod.MgdaUb, 2),
        new("MGDA-UB n=8", TrainingMethod.MgdaUb, 8),
    ];

    /// <inheritdoc />
    public override string ToString() => Name;
}
