using System.Globalization;
using System.Text.Json;
using Pama.Examples;
using Pama.Mpi;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Pama.Weightings;
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
//   --only A,B,...       run only these scenarios
using MpiProcessGroup group = MpiProcessGroup.Initialize(ref args);
var options = Arguments.Parse(args);
torch.set_num_threads(1);
Directory.CreateDirectory(options.Out);
// The scenario names, so the tests can check that they compare every one.
if (group.Rank == 0) File.WriteAllLines(Path.Combine(options.Out, "scenarios.txt"), Scenarios.All.Select(s => s.Name));

foreach (Scenario scenario in Scenarios.All)
{
    string name = scenario.Name;
    if (options.Only is not null && !options.Only.Split(',').Contains(name)) continue;
    var policy = TinyPolicy.Create(seed: 1);
    var trainerOptions = new PamaTrainerOptions
    {
        Method = scenario.Method(),
        LearningRate = 1e-3,
        ValueLearningRate = 1e-2,
        PpoEpochs = 2,
        MiniBatches = scenario.MiniBatches,
        AdvantageWhitening = scenario.Whitening ? AdvantageWhitening.PerObjective : AdvantageWhitening.None,
        Critic = scenario.TrunkCritic ? CriticTraining.ThroughTrunk : CriticTraining.HeadsOnly,
        Generation = new SamplingOptions { MaxNewTokens = 6, BatchSize = scenario.MicroRows },
        ScoringMicroBatch = scenario.MicroRows is { } scoringRows ? MicroBatchSize.Rows(scoringRows) : null,
        UpdateMicroBatch = scenario.MicroRows is { } updateRows ? MicroBatchSize.Rows(updateRows) : null,
        Seed = 11,
        ProcessGroup = group,
    };
    // Used only by the sampled scenario (the others bring their rewards): functions of the response's token ids.
    IRewardObjective[] objectives =
    [
        RewardObjective.FromTokenIds("even-tokens", (_, r) => r.Count(t => t % 2 == 0) / 3.0 - 0.5),
        RewardObjective.FromTokenIds("length", (_, r) => Math.Clamp(r.Count / 4.0, 0.5, 1.5)),
    ];
    LoraAdapter? adapter = null;
    if (scenario.Lora)
    {
        using var loraGenerator = new Generator(5);
        adapter = LoraAdapter.Apply(policy, new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["c_attn", "c_fc"] }, loraGenerator);
        // PEFT starts B at zero; random B makes the first step's gradients of A nonzero too.
        using (no_grad())
            foreach (var (n, p) in policy.named_parameters())
                if (n.Contains(".lora_B", StringComparison.Ordinal)) p.normal_(0, 0.2, loraGenerator);
    }
    using var trainer = adapter is null
        ? new PamaTrainer<Gpt2Model>(policy, TinyPolicy.Create(seed: 1), TinyPolicy.Tokenizer, objectives, trainerOptions)
        : new PamaTrainer<Gpt2Model>(policy, adapter, TinyPolicy.Tokenizer, objectives, trainerOptions);
    if (options.Resume && options.Checkpoint is not null && (options.ResumeRank ?? group.Rank) == group.Rank) trainer.Load(options.Checkpoint);

    var (prompts, responses, rewards) = FixedBatch.Share(group.Rank, group.Size);
    int objectiveCount = 2;
    var steps = new List<object>();
    if (options.MismatchRank == group.Rank) group.AllReduceSum(new double[1000]);
    while (trainer.StepCount < options.Steps)
    {
        if (options.KillRank == group.Rank && options.KillAtStep == trainer.StepCount + 1)
            System.Diagnostics.Process.GetCurrentProcess().Kill();
        if (options.ThrowRank == group.Rank && options.ThrowAtStep == trainer.StepCount + 1)
            throw new InvalidOperationException($"rank {group.Rank} fails on purpose before step {trainer.StepCount + 1}");
        using var scope = NewDisposeScope();
        StepMetrics m = scenario.Sampled
            ? trainer.Step(FixedBatch.PromptTexts(group.Rank, group.Size))
            : trainer.Step(trainer.FromResponses(prompts, responses), tensor(rewards, [prompts.Count, objectiveCount], ScalarType.Float64));
        steps.Add(new { m.Step, m.MeanRewards, m.Weights, m.OptimalValue, m.Statistics, m.PolicyLoss, m.ValueLosses, m.ClipFraction, m.Kl, m.KlCoefficient, m.ResponseTokens, m.StationaryUpdates, m.Updates });
        if (options.Checkpoint is not null) trainer.Save(options.Checkpoint);
    }
    var parameters = policy.named_parameters().Concat(trainer.ValueHeads.named_parameters().Select(p => ("value_heads." + p.name, p.parameter)))
        .ToDictionary(p => p.Item1, p => p.Item2.detach().contiguous().data<double>().ToArray());
    string file = Path.Combine(options.Out, $"{name}.rank{group.Rank}.json");
    File.WriteAllText(file, JsonSerializer.Serialize(new { ranks = group.Size, steps, parameters }, Json.Options));
}
return 0;

/// <summary>A scenario: a method (made fresh per run: a stateful weighting's state is the run's) and the options it runs with.</summary>
internal sealed record Scenario(string Name, Func<IMultiObjectiveMethod> Method, int MiniBatches, bool Sampled = false,
    bool Whitening = false, bool TrunkCritic = false, bool Lora = false, int? MicroRows = null)
{
    /// <summary>The same scenario with generation, scoring and every update in micro-batches of <paramref name="rows"/> rows,
    /// named <c>name+micro{rows}</c>: the tests compare it with the unsplit scenario in one process.</summary>
    public Scenario Micro(int rows) => this with { Name = $"{Name}+micro{rows}", MicroRows = rows };
}

/// <summary>
/// The scenarios: every PAMA granularity, every shipped method (and one written outside the library, reading the batch's
/// rewards), with one and several minibatches (with the uneven shares of <see cref="FixedBatch"/>, a rank holds no row of
/// some minibatches), whitening, a critic through the trunk, and a LoRA adapter.
/// </summary>
internal static class Scenarios
{
    public static IEnumerable<Scenario> All => [.. Unsplit, .. Split];

    private static IEnumerable<Scenario> Unsplit =>
    [
        new("pama-batch", () => new PamaMethod(WeightingGranularity.Batch), 1),
        new("pama-batch-mb4", () => new PamaMethod(WeightingGranularity.Batch), 4),
        new("pama-sequence", () => new PamaMethod(WeightingGranularity.Sequence), 2),
        new("pama-token", () => new PamaMethod(WeightingGranularity.Token), 1),
        new("pama-sequence-mb5", () => new PamaMethod(WeightingGranularity.Sequence), 5),
        new("pama-token-mb5", () => new PamaMethod(WeightingGranularity.Token), 5),
        new("pama-whiten-trunk", () => new PamaMethod(), 3, Whitening: true, TrunkCritic: true),
        new("morlhf", () => new MorlhfMethod([0.3, 0.7]), 2),
        new("morlhf-whiten-lora", () => new MorlhfMethod([0.3, 0.7]), 3, Whitening: true, Lora: true),
        new("mgda-ub", () => new MgdaUbMethod(), 1),
        new("mgda-ub-whiten-mb3", () => new MgdaUbMethod(), 3, Whitening: true),
        new("gdpo", () => new NormalizeThenSumMethod(0.4, 0.6), 3),
        new("mgda-lora", () => new WeightingMethod("MGDA", _ => new MgdaWeighting()), 3, Lora: true),
        new("mgda-last-block", () => new WeightingMethod("MGDA", _ => new MgdaWeighting(),
            GramianSource.Parameters(n => n.StartsWith("transformer.h.1.", StringComparison.Ordinal), "the last block")), 2),
        new("lowest-reward-first", () => new LowestRewardFirstMethod(), 3),
        new("pama-sampled", () => new PamaMethod(WeightingGranularity.Batch), 2, Sampled: true),
        new("constrained", () => new WeightingMethod("constrained", _ => new ConstrainedWeighting([0.5, 0.5], [0.6, double.NegativeInfinity], 2.0)), 3),
        .. Catalogued,
    ];

    /// <summary>Scenarios in micro-batches: per-row weights, whitening with the critic through the trunk, both Gramian sources
    /// (hidden states and a LoRA adapter), fixed preferences on LoRA, sampling in chunks, and a catalogued Gramian method.</summary>
    private static IEnumerable<Scenario> Split =>
        new[] { "pama-token-mb5", "pama-whiten-trunk", "morlhf-whiten-lora", "mgda-ub-whiten-mb3", "mgda-lora", "pama-sampled", "catalog-upgrad" }
            .Select(name => Unsplit.Single(s => s.Name == name))
            .Select(s => s.Micro(s.MiniBatches >= 5 ? 1 : 2));

    /// <summary>Every other method of the library's catalogue (Gramian readers on a LoRA adapter), with whitening on the stateful ones.</summary>
    private static IEnumerable<Scenario> Catalogued =>
        MethodCatalog.Keys.Where(k => k is not ("pama" or "morlhf" or "gdpo" or "mgda-ub" or "mgda")).Select(key =>
        {
            IWeighting weighting = MethodCatalog.Create(key).CreateWeighting(2);
            return new Scenario($"catalog-{key}", () => MethodCatalog.Create(key), 3,
                Whitening: weighting is IStatefulWeighting, Lora: (weighting.Reads & WeightingInputs.Gramian) != 0);
        });
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

/// <summary>
/// Ten rows of prompts, responses and two rewards, fixed; a rank takes a contiguous share, uneven on purpose: 3 and 7 rows on two
/// ranks, 3, 3 and 4 on three.
/// </summary>
internal static class FixedBatch
{
    private const int Rows = 10;

    /// <summary>First row of each rank's share, and the end.</summary>
    private static int Start(int rank, int size) => rank == size ? Rows : size switch
    {
        1 => 0,
        2 => new[] { 0, 3 }[rank],
        _ => Rows * rank / size,
    };

    /// <summary>A rank's contiguous share of ten fixed prompt texts (sampled scenario).</summary>
    public static IReadOnlyList<string> PromptTexts(int rank, int size)
    {
        string[] all = ["The film", "I think", "A story of", "Why", "Once upon a time", "It was", "Good", "The end of the", "Never", "She said"];
        return all[Start(rank, size)..Start(rank + 1, size)];
    }

    public static (List<IReadOnlyList<int>> Prompts, List<IReadOnlyList<int>> Responses, double[] Rewards) Share(int rank, int size)
    {
        int start = Start(rank, size), end = Start(rank + 1, size);
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
