using System.Globalization;
using System.Text.Json;
using Pama.Mpi;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

// Data-parallel test worker. Every rank runs the same scenarios on its contiguous share of one fixed batch of prompts,
// responses and rewards (float64, CPU) and writes what it computed to OUT/<scenario>.rank<R>.json. Run alone, it is the
// one-process reference holding the whole batch.
//   --out DIR            where to write
//   --steps K            steps per scenario (default 2)
//   --checkpoint FILE    save after every step (rank 0 writes); --resume loads it first
//   --kill-rank R --kill-at-step K   that rank kills itself just before step K (tests a dying worker)
//   --throw-rank R --throw-at-step K that rank throws just before step K (tests an exception on one rank)
//   --resume-rank R      with --resume, only that rank loads the checkpoint (tests ranks that disagree)
//   --mismatch-rank R    that rank makes a sum of another length first (tests an exception inside a collective)
//   --only NAME          run one scenario
using MpiProcessGroup group = MpiProcessGroup.Initialize(ref args);
var options = Arguments.Parse(args);
torch.set_num_threads(1);
Directory.CreateDirectory(options.Out);

foreach (var (name, method, miniBatches, sampled) in Scenarios.All)
{
    if (options.Only is not null && options.Only != name) continue;
    var policy = TinyPolicy.Create(seed: 1);
    var reference = TinyPolicy.Create(seed: 1);
    var trainerOptions = new PamaTrainerOptions
    {
        Method = method,
        LearningRate = 1e-3,
        ValueLearningRate = 1e-2,
        PpoEpochs = 2,
        MiniBatches = miniBatches,
        Generation = new SamplingOptions { MaxNewTokens = 6 },
        Seed = 11,
        ProcessGroup = group,
    };
    // Used only by the sampled scenario (the others bring their rewards): functions of the response's token ids.
    IRewardObjective[] objectives =
    [
        RewardObjective.FromTokenIds("even-tokens", (_, r) => r.Count(t => t % 2 == 0) / 3.0 - 0.5),
        RewardObjective.FromTokenIds("length", (_, r) => Math.Clamp(r.Count / 4.0, 0.5, 1.5)),
    ];
    using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, TinyPolicy.Tokenizer, objectives, trainerOptions);
    if (options.Resume && options.Checkpoint is not null && (options.ResumeRank ?? group.Rank) == group.Rank) trainer.Load(options.Checkpoint);

    var (prompts, responses, rewards) = FixedBatch.Share(group.Rank, group.Size);
    var steps = new List<object>();
    if (options.MismatchRank == group.Rank) group.AllReduceSum(new double[1000]);
    while (trainer.StepCount < options.Steps)
    {
        if (options.KillRank == group.Rank && options.KillAtStep == trainer.StepCount + 1)
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        if (options.ThrowRank == group.Rank && options.ThrowAtStep == trainer.StepCount + 1)
            throw new InvalidOperationException($"rank {group.Rank} fails on purpose before step {trainer.StepCount + 1}");
        using var scope = NewDisposeScope();
        StepMetrics m = sampled
            ? trainer.Step(FixedBatch.PromptTexts(group.Rank, group.Size))
            : trainer.Step(trainer.FromResponses(prompts, responses), tensor(rewards, [prompts.Count, 2], ScalarType.Float64));
        steps.Add(new { m.Step, m.MeanRewards, m.Weights, m.OptimalValue, m.PolicyLoss, m.ValueLosses, m.ClipFraction, m.Kl, m.KlCoefficient, m.ResponseTokens, m.StationaryUpdates });
        if (options.Checkpoint is not null) trainer.Save(options.Checkpoint);
    }
    var parameters = policy.named_parameters().Concat(trainer.ValueHeads.named_parameters().Select(p => ("value_heads." + p.name, p.parameter)))
        .ToDictionary(p => p.Item1, p => p.Item2.detach().contiguous().data<double>().ToArray());
    string file = Path.Combine(options.Out, $"{name}.rank{group.Rank}.json");
    File.WriteAllText(file, JsonSerializer.Serialize(new { ranks = group.Size, steps, parameters }, Json.Options));
}
return 0;

/// <summary>The scenarios: every PAMA granularity, MORLHF and MGDA-UB, with one and with two minibatches.</summary>
internal static class Scenarios
{
    public static IEnumerable<(string Name, IMultiObjectiveMethod Method, int MiniBatches, bool Sampled)> All =>
    [
        ("pama-batch", new PamaMethod(WeightingGranularity.Batch), 1, false),
        ("pama-batch-mb4", new PamaMethod(WeightingGranularity.Batch), 4, false),
        ("pama-sequence", new PamaMethod(WeightingGranularity.Sequence), 2, false),
        ("pama-token", new PamaMethod(WeightingGranularity.Token), 1, false),
        ("morlhf", new MorlhfMethod([0.3, 0.7]), 2, false),
        ("mgda-ub", new MgdaUbMethod(), 1, false),
        ("pama-sampled", new PamaMethod(WeightingGranularity.Batch), 2, true),
    ];
}

/// <summary>A tiny float64 GPT-2 with wide random weights (distributions far from uniform), the same on every rank.</summary>
internal static class TinyPolicy
{
    public static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.CreateDefault();

    public static Gpt2Model Create(long seed)
    {
        var config = new Gpt2Config
        {
            VocabularySize = Tokenizer.VocabularySize, ContextLength = 32, HiddenSize = 16, LayerCount = 2, HeadCount = 2,
            EmbeddingDropout = 0, AttentionDropout = 0, ResidualDropout = 0,
            EosTokenId = Tokenizer.EndOfTextId, BosTokenId = Tokenizer.EndOfTextId,
        };
        var model = new Gpt2Model(config, seed).to(ScalarType.Float64);
        using var generator = new Generator((ulong)seed + 7);
        using (no_grad())
            foreach (var (_, parameter) in model.named_parameters()) parameter.normal_(0, 0.3, generator);
        model.eval();
        return model;
    }
}

/// <summary>Eight rows of prompts, responses and two rewards, fixed; a rank takes a contiguous share.</summary>
internal static class FixedBatch
{
    private const int Rows = 8;

    /// <summary>A rank's contiguous share of eight fixed prompt texts (sampled scenario).</summary>
    public static IReadOnlyList<string> PromptTexts(int rank, int size)
    {
        string[] all = ["The film", "I think", "A story of", "Why", "Once upon a time", "It was", "Good", "The end of the"];
        return all[(Rows * rank / size)..(Rows * (rank + 1) / size)];
    }

    public static (List<IReadOnlyList<int>> Prompts, List<IReadOnlyList<int>> Responses, double[] Rewards) Share(int rank, int size)
    {
        int start = Rows * rank / size, end = Rows * (rank + 1) / size;
        var prompts = new List<IReadOnlyList<int>>();
        var responses = new List<IReadOnlyList<int>>();
        var rewards = new List<double>();
        for (int b = start; b < end; b++)
        {
            prompts.Add([.. Enumerable.Range(0, 2 + b % 3).Select(t => 100 + 37 * b + 11 * t)]);
            responses.Add([.. Enumerable.Range(0, 3 + (b * 5) % 4).Select(t => 500 + 53 * b + 7 * t)]);
            rewards.Add(Math.Sin(b + 1));            // mixed signs
            rewards.Add(0.5 + 0.25 * Math.Cos(3 * b)); // positive
        }
        return (prompts, responses, [.. rewards]);
    }
}

internal sealed record Arguments(string Out, int Steps, string? Checkpoint, bool Resume, int? KillRank, int? KillAtStep, string? Only,
    int? ThrowRank = null, int? ThrowAtStep = null, int? ResumeRank = null, int? MismatchRank = null)
{
    public static Arguments Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int? Number(string name) => Array.IndexOf(args, name) >= 0 ? int.Parse(Value(name, "0"), CultureInfo.InvariantCulture) : null;
        return new Arguments(
            Value("--out", "mpi-out"), Number("--steps") ?? 2, Array.IndexOf(args, "--checkpoint") >= 0 ? Value("--checkpoint", "") : null,
            args.Contains("--resume"), Number("--kill-rank"), Number("--kill-at-step"), Array.IndexOf(args, "--only") >= 0 ? Value("--only", "") : null,
            Number("--throw-rank"), Number("--throw-at-step"), Number("--resume-rank"), Number("--mismatch-rank"));
    }
}

internal static class Json
{
    /// <summary>NaN (MORLHF's and MGDA-UB's s*) written as "NaN".</summary>
    public static readonly JsonSerializerOptions Options = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
