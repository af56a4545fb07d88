using Pama.TorchSharp.IO;
using System.Diagnostics;
using System.Globalization;
using Pama.FineTune.Cli;
using Pama.FineTune.Corpus;
using Pama.FineTune.Pretraining;
using Pama.FineTune.Progress;
using Pama.FineTune.Reporting;
using Pama.FineTune.Rewards;
using Pama.FineTune.Text;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.FineTune.Experiment;

/// <summary>
/// The whole experiment: data, reward models and policy, then every (method, seed) run with the
/// library's <see cref="PamaTrainer{TModel}"/> under one shared budget, the held-out evaluation,
/// and the outputs. Checkpoints after every tenth step, at the end of each run and on Ctrl+C or SIGTERM;
/// <c>--resume</c> picks up from them (a run without a checkpoint starts from step 0, and says so).
/// </summary>
/// <remarks>
/// In a data-parallel run rank 0 writes the checkpoints, run records and pretrained policy in <c>--out</c>, and every rank
/// reads them from there (the folder must be visible to every rank: one machine, or a shared file system); ranks above 0
/// write their own outputs to <c>--out/rank&lt;R&gt;</c>. Whatever decides which collectives come next (resume or start,
/// stop after this step) is decided by rank 0, or by all ranks together, so the ranks never part ways.
/// </remarks>
/// <param name="options">The validated command line.</param>
/// <param name="progress">Where progress goes.</param>
/// <param name="group">The ranks of a data-parallel run (<c>--data-parallel</c> under mpirun), or <c>null</c> for one process.</param>
public sealed class ExperimentRunner(FineTuneOptions options, IRunProgress progress, IProcessGroup? group = null)
{
    /// <summary>Exit code after Ctrl+C (128 + SIGINT), outputs so far written.</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>Exit code after SIGTERM (128 + 15), outputs so far written.</summary>
    public const int TerminatedExitCode = 143;

    private const int CheckpointEvery = 10;
    private const int SamplePromptCount = 4;

    // Fixed, not --batch-size: the held-out draws then depend only on the seed, whatever the training batch.
    private const int EvaluationBatchSize = 64;
    private const string CheckpointFileName = "trainer.ckpt";
    private const string AdapterDirectoryName = "adapter";

    /// <summary>The files a run writes at the top of the output folder.</summary>
    private static readonly string[] OutputFiles = ["metrics.csv", "rewards.png", "pareto.png", "front.png", "weights.png", "summary.json", "summary.md", "samples.txt"];

    private readonly List<MetricRow> _metrics = [];
    private readonly List<RunRecord> _finished = [];
    private readonly IReadOnlyList<RunArm> _arms = RunArm.Plan(options.Methods, options.Objectives.Count, options.Sweep);
    private readonly Stopwatch _trainingClock = new();
    private int _stepsThisSession;
    private string _metricsPath = "";
    private IReadOnlyList<string> _trainingPrompts = [];
    private IReadOnlyList<string> _heldOutPrompts = [];

    /// <summary>Runs the experiment; returns the process exit code.</summary>
    public int Run(CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        set_num_threads(options.Threads);
        Device device = ResolveDevice(options.Device);
        // A bad prompt file is reported before anything in --out is deleted and before minutes of corpus, classifier and pretraining work.
        PromptFile? promptFile = options.PromptsFile is null ? null : PromptFile.Read(options.PromptsFile);
        // Rank 0's folder holds the checkpoints every rank resumes from; each rank writes its outputs to its own.
        string shared = Path.GetFullPath(options.OutputDirectory);
        string output = IsRankZero ? shared : Path.Combine(shared, $"rank{group!.Rank}");
        Directory.CreateDirectory(output);
        string runs = Path.Combine(shared, "runs");
        _metricsPath = Path.Combine(output, "metrics.csv");
        if (!options.Resume)
        {
            // Starting over: nothing of an earlier run may be mistaken for this one's (the pretrained cache stays).
            if (IsRankZero && Directory.Exists(runs)) Directory.Delete(runs, recursive: true);
            string board = Path.Combine(output, "tensorboard");
            if (IsRankZero && Directory.Exists(board)) Directory.Delete(board, recursive: true);
            foreach (string file in OutputFiles) File.Delete(Path.Combine(output, file));
        }
        else if (IsRankZero && !Directory.Exists(runs))
        {
            progress.Log($"--resume: {shared} holds no checkpoint (no earlier run there, or it stopped before its first checkpoint); every run starts from step 0.");
        }

        if (options.Resume && File.Exists(_metricsPath)) _metrics.AddRange(MetricsCsv.Read(_metricsPath));

        ReviewCorpus corpus = ReviewCorpus.Create();
        _trainingPrompts = promptFile?.Training ?? corpus.TrainingPrompts;
        _heldOutPrompts = promptFile?.HeldOut ?? corpus.HeldOutPrompts;
        if (options.OneEpoch)
        {
            // One pass over the training prompts, as the paper's "1 epoch".
            options = options with { Steps = (_trainingPrompts.Count + options.BatchSize - 1) / options.BatchSize };
        }

        SentimentClassifier classifier = SentimentClassifier.Train(corpus.ClassifierTraining);
        progress.Log(string.Create(CultureInfo.InvariantCulture,
            $"Sentiment reward model: logistic regression over {classifier.VocabularySize} words, held-out accuracy {classifier.Accuracy(corpus.ClassifierTest):P1} on {corpus.ClassifierTest.Count} reviews."));

        string policyDirectory;
        ITextTokenizer tokenizer;
        TrainingBudget budget;
        try
        {
            (policyDirectory, tokenizer, budget) = PolicySource(shared, corpus, cancellation);
        }
        catch (OperationCanceledException e)
        {
            progress.Log(e.Message);
            return InterruptedExitCode;
        }

        budget = (options.Preset == "paper" ? TrainingBudget.Paper : budget) with
        {
            Whitening = options.Whitening == "per-objective" ? AdvantageWhitening.PerObjective : AdvantageWhitening.None,
            Critic = options.Critic == "trunk" ? CriticTraining.ThroughTrunk : CriticTraining.HeadsOnly,
        };
        // --reward-model: a Hugging Face classifier stands in for the built-in sentiment scorer.
        using HuggingFaceRewardModel? rewardModel = options.RewardModelDirectory is { } rewardDirectory
            ? HuggingFaceRewardModel.Load("sentiment", rewardDirectory, options.RewardLabel, device)
            : null;
        if (rewardModel is not null) progress.Log(rewardModel.Description);
        Func<string, string, double>[] rewards = options.Objectives
            .Select(o => o == "sentiment" && rewardModel is not null ? rewardModel.Reward : BuiltInObjectives.Reward(o, classifier)).ToArray();
        IRewardObjective[] objectives = options.Objectives
            .Select((o, i) => o == "sentiment" && rewardModel is not null ? rewardModel.Objective : RewardObjective.FromText(o, rewards[i])).ToArray();
        var evaluator = new HeldOutEvaluator(tokenizer, _heldOutPrompts, options.Objectives, rewards, budget.Sampling(tokenizer.EndOfTextId), EvaluationBatchSize);
        string fingerprint = RunFingerprint.Of(options, budget);
        progress.Log($"Methods {string.Join(", ", _arms.Select(a => RunArm.TitleOf(a.Key)))}; objectives {string.Join(", ", options.Objectives)}; " +
                     $"seeds {string.Join(", ", options.Seeds)}; {options.Steps} steps of {options.BatchSize} prompts; {_trainingPrompts.Count} training prompts, {_heldOutPrompts.Count} held out" +
                     (promptFile is null ? "" : $" (from {promptFile.Path})") + $"; preset {options.Preset}, whitening {options.Whitening}, critic {options.Critic}.");

        // The pretrained policy on the held-out prompts, per seed: the starting point every method shares.
        var before = new Dictionary<int, HeldOutEvaluator.Evaluation>();
        using (CausalLanguageModel initial = LoadPolicy(policyDirectory, device))
        {
            promptFile?.CheckFits(tokenizer, initial.ContextLength, budget.MaxNewTokens);
            foreach (int seed in options.Seeds) before[seed] = evaluator.Evaluate(initial, EvaluationSeed(seed));
        }

        bool interrupted = false;
        foreach (RunArm arm in _arms)
        {
            foreach (int seed in options.Seeds)
            {
                if (AnyRankStopping(cancellation)) { interrupted = true; break; }
                string runDirectory = Path.Combine(runs, arm.DirectoryName(seed));
                RunRecord? record = TrainOne(arm, seed, runDirectory, fingerprint, policyDirectory, device, tokenizer, objectives, budget, evaluator, corpus, cancellation);
                if (record is null) { interrupted = true; break; }
                _finished.Add(record);
                WriteOutputs(output, corpus, before);
            }

            if (interrupted) break;
        }

        WriteOutputs(output, corpus, before);
        if (interrupted)
        {
            progress.Log($"Interrupted: checkpoints and outputs so far are in {output}. Continue with --resume --out \"{options.OutputDirectory}\".");
            return InterruptedExitCode;
        }

        progress.Log(string.Create(CultureInfo.InvariantCulture, $"Done in {clock.Elapsed:mm\\:ss}. Outputs in {output}."));
        return 0;
    }

    // One (method or sweep preference, seed) run: resume or start, train to the requested step count, evaluate on the held-out prompts.
    // Returns null when interrupted (after writing a checkpoint).
    private RunRecord? TrainOne(
        RunArm arm, int seed, string runDirectory, string fingerprint, string policyDirectory, Device device, ITextTokenizer tokenizer,
        IRewardObjective[] objectives, TrainingBudget budget, HeldOutEvaluator evaluator, ReviewCorpus corpus, CancellationToken cancellation)
    {
        string method = arm.Key;
        string label = $"{RunArm.TitleOf(method)} seed {seed}";
        string recordPath = Path.Combine(runDirectory, RunRecord.FileName);
        string checkpointPath = Path.Combine(runDirectory, CheckpointFileName);
        string settingsPath = Path.Combine(runDirectory, "settings.json");
        // Rank 0 decides how this run starts (every rank must then make the same collectives): finished, resumed, or from step 0.
        RunStart start = RunStart.Fresh;
        if (IsRankZero)
        {
            if (options.Resume && Directory.Exists(runDirectory))
            {
                if (File.Exists(settingsPath) && File.ReadAllText(settingsPath) != fingerprint)
                {
                    throw new InvalidOperationException(
                        $"--resume: {runDirectory} was trained with other settings (objectives, granularity, batch size or model). Start without --resume or choose another --out.");
                }

                start = RunRecord.TryRead(recordPath) is { } done && done.Steps == options.Steps && done.Settings == fingerprint ? RunStart.Finished
                    : File.Exists(checkpointPath) ? RunStart.Resume
                    : RunStart.Fresh;
            }
            else if (Directory.Exists(runDirectory))
            {
                Directory.Delete(runDirectory, recursive: true);
            }

            Directory.CreateDirectory(runDirectory);
            AtomicFile.WriteAllText(settingsPath, fingerprint);
        }

        start = (RunStart)FromRankZero((int)start);
        if (start == RunStart.Finished)
        {
            progress.Log($"{label}: already finished, reusing its results.");
            return RunRecord.TryRead(recordPath) ?? throw new InvalidOperationException($"--resume: rank 0 found {recordPath}, but this rank cannot read it.");
        }

        if (options.Resume && start == RunStart.Fresh)
            progress.Log($"--resume: {label} has no checkpoint in {runDirectory}; it starts from step 0.");
        using CausalLanguageModel policy = LoadPolicy(policyDirectory, device);
        // With --lora the reference is the policy with its adapter disabled: no second copy of the model.
        using CausalLanguageModel? reference = options.Lora is null ? LoadPolicy(policyDirectory, device) : null;
        using LoraAdapter? adapter = options.Lora is { } lora ? ApplyAdapter(policy, lora, seed) : null;
        PamaTrainerOptions trainerOptions = budget.TrainerOptions(arm.Method, options.Granularity, seed, tokenizer.EndOfTextId, arm.Preference)
            with { ProcessGroup = group ?? SingleProcessGroup.Instance };
        if (options.MicroBatch is { } rows)
        {
            // The update's micro-batch may not exceed the smallest possible largest minibatch; the split changes nothing but memory.
            int minibatchRows = (options.BatchSize + trainerOptions.MiniBatches - 1) / trainerOptions.MiniBatches;
            trainerOptions = trainerOptions with
            {
                Generation = trainerOptions.Generation with { BatchSize = rows },
                ScoringMicroBatch = MicroBatchSize.Rows(rows),
                UpdateMicroBatch = MicroBatchSize.Rows(Math.Min(rows, minibatchRows)),
            };
        }
        using var trainer = adapter is not null
            ? new PamaTrainer<CausalLanguageModel>(policy, adapter, tokenizer, objectives, trainerOptions)
            : new PamaTrainer<CausalLanguageModel>(policy, reference!, tokenizer, objectives, trainerOptions);
        if (start == RunStart.Resume)
        {
            // Every rank loads rank 0's file; the trainer checks before its first collective that all ranks agree.
            trainer.Load(checkpointPath);
            if (trainer.StepCount > options.Steps)
            {
                throw new InvalidOperationException(
                    $"--resume: the checkpoint of {label} is at step {trainer.StepCount}, past the requested --steps {options.Steps}. Ask for at least {trainer.StepCount} steps or start without --resume.");
            }

            progress.Log($"{label}: resuming at step {trainer.StepCount}.");
        }

        // Metrics written after the checkpoint belong to steps that will be taken again.
        _metrics.RemoveAll(r => r.Method == method && r.Seed == seed && r.Step > trainer.StepCount);
        // Per-objective curves for `tensorboard --logdir OUT/tensorboard`: one folder per run, one event file per session.
        using var board = new TensorBoardWriter(Path.Combine(Path.GetDirectoryName(_metricsPath)!, "tensorboard", $"{method}-seed{seed}"));
        IProgressTask task = progress.Start(label, options.Steps);
        task.Report((int)trainer.StepCount, "starting");
        double stepSeconds = 0;
        int stepsTaken = 0;
        while (trainer.StepCount < options.Steps)
        {
            if (AnyRankStopping(cancellation))
            {
                trainer.Save(checkpointPath);
                task.Complete($"interrupted at step {trainer.StepCount}; checkpoint saved");
                return null;
            }

            int step = (int)trainer.StepCount + 1;
            _trainingClock.Start();
            StepMetrics metrics = trainer.Step(RankShare(PromptsForStep(_trainingPrompts, seed, step, options.BatchSize)));
            _trainingClock.Stop();
            _stepsThisSession++;
            stepSeconds += metrics.Seconds;
            stepsTaken++;
            for (int i = 0; i < objectives.Length; i++)
            {
                _metrics.Add(new MetricRow((int)metrics.Step, method, seed, objectives[i].Name, metrics.MeanRewards[i], metrics.Weights[i], metrics.OptimalValue, metrics.Kl));
            }

            board.Write(metrics.Step, TensorBoardScalars.Of(metrics, objectives.Select(o => o.Name).ToArray()));

            task.Report((int)metrics.Step, Status(metrics, objectives));
            if (metrics.Step % CheckpointEvery == 0)
            {
                // Metrics up to the checkpoint go to disk with it, so a hard kill loses nothing --resume cannot redo.
                trainer.Save(checkpointPath);
                MetricsCsv.Write(_metricsPath, _metrics);
            }
        }

        trainer.Save(checkpointPath);
        if (adapter is not null && IsRankZero)
        {
            string adapterDirectory = Path.Combine(runDirectory, AdapterDirectoryName);
            adapter.Save(adapterDirectory);
            progress.Log($"{label}: LoRA adapter ({adapter.ParameterCount:N0} trained parameters) written in PEFT's format to {adapterDirectory}.");
        }
        HeldOutEvaluator.Evaluation evaluation = evaluator.Evaluate(policy, EvaluationSeed(seed));
        var record = new RunRecord(
            arm.Method, seed, options.Steps, fingerprint,
            options.Objectives.Select((o, i) => (o, evaluation.Mean(i))).ToDictionary(p => p.o, p => p.Item2),
            evaluation.Responses.ToList(),
            Enumerable.Range(0, evaluation.Responses.Count).Select(p => Enumerable.Range(0, objectives.Length).Select(i => evaluation.Rewards[p, i]).ToArray()).ToList(),
            stepsTaken > 0 ? stepSeconds / stepsTaken : 0,
            arm.Preference?.ToArray());
        if (IsRankZero) record.Write(recordPath);
        task.Complete("held out: " + string.Join(", ", record.MeanRewards.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F3}"))));
        return record;
    }

    // The adapter's initial A matrices come from the run's seed, so a resumed run rebuilds the same adapter before loading its checkpoint.
    // GPT-2's Conv1D layers, or every projection of a Llama-family decoder.
    private static LoraAdapter ApplyAdapter(CausalLanguageModel policy, LoraOptions lora, int seed)
    {
        using var generator = new Generator((ulong)seed);
        LoraOptions targeted = policy.ModelType == "gpt2" ? lora
            : lora with { TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] };
        return LoraAdapter.Apply(policy, targeted, generator);
    }

    private string Status(StepMetrics metrics, IRewardObjective[] objectives)
    {
        var parts = objectives.Select((o, i) => string.Create(CultureInfo.InvariantCulture, $"{o.Name} {metrics.MeanRewards[i]:F3} (c {metrics.Weights[i]:F2})")).ToList();
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"KL {metrics.Kl:F3}"));
        if (!double.IsNaN(metrics.OptimalValue)) parts.Add(string.Create(CultureInfo.InvariantCulture, $"s* {metrics.OptimalValue:G3}"));
        parts.Add($"ETA {Eta():mm\\:ss}");
        return string.Join(" | ", parts);
    }

    // Remaining steps of all runs times the mean step time so far (held-out evaluations add a few seconds).
    private TimeSpan Eta()
    {
        if (_stepsThisSession == 0) return TimeSpan.Zero;
        int total = _arms.Count * options.Seeds.Count * options.Steps;
        int done = _metrics.Count / options.Objectives.Count;
        double perStep = _trainingClock.Elapsed.TotalSeconds / _stepsThisSession;
        return TimeSpan.FromSeconds(Math.Max(0, total - done) * perStep);
    }

    private bool IsRankZero => group is null || group.Rank == 0;

    /// <summary>How a (method, seed) run starts, as rank 0 finds it.</summary>
    private enum RunStart { Fresh = 0, Resume = 1, Finished = 2 }

    /// <summary>Rank 0's <paramref name="value"/> on every rank (one sum; every rank must call it); the value itself in one process.</summary>
    private int FromRankZero(int value) =>
        group is null || group.Size == 1 ? value : (int)group.Sum(group.Rank == 0 ? value : 0)[0];

    /// <summary>
    /// Whether any rank was asked to stop (Ctrl+C or SIGTERM reach the ranks at different moments): one sum per step, so that
    /// every rank stops after the same step. Every rank must call it at the same points.
    /// </summary>
    private bool AnyRankStopping(CancellationToken cancellation) =>
        group is null || group.Size == 1
            ? cancellation.IsCancellationRequested
            : group.Sum(cancellation.IsCancellationRequested ? 1 : 0)[0] > 0;

    private (string Directory, ITextTokenizer Tokenizer, TrainingBudget Budget) PolicySource(string output, ReviewCorpus corpus, CancellationToken cancellation)
    {
        if (options.ModelDirectory is { } directory)
        {
            progress.Log($"Aligning the {AutoModelForCausalLM.ReadModelType(Path.Combine(directory, "config.json"))} checkpoint in {directory} (no pretraining).");
            return (directory, AutoTokenizer.FromPretrained(directory), TrainingBudget.Pretrained);
        }

        // Rank 0 pretrains (or finds the cache); the other ranks wait for it, then read its cache.
        string cacheDirectory = Path.Combine(output, "pretrained");
        (string Directory, CompactVocabularyTokenizer Tokenizer)? ready = null;
        OperationCanceledException? stopped = null;
        if (IsRankZero)
        {
            try
            {
                ready = EmbeddedPolicy.Ensure(cacheDirectory, corpus, progress, cancellation);
            }
            catch (OperationCanceledException e)
            {
                stopped = e;
            }
        }

        if (FromRankZero(ready is null ? 0 : 1) == 0) throw stopped ?? new OperationCanceledException("Stopped while rank 0 pretrained the policy.");
        (string cache, CompactVocabularyTokenizer tokenizer) = ready ?? EmbeddedPolicy.Ensure(cacheDirectory, corpus, progress, CancellationToken.None);
        return (cache, tokenizer, TrainingBudget.Tiny);
    }

    // Any supported causal LM (GPT-2, Llama, Mistral, Qwen2); the embedded policy is a GPT-2 checkpoint too.
    private static CausalLanguageModel LoadPolicy(string directory, Device device) => AutoModelForCausalLM.FromPretrained(directory, device);

    private void WriteOutputs(string output, ReviewCorpus corpus, IReadOnlyDictionary<int, HeldOutEvaluator.Evaluation> before)
    {
        MetricsCsv.Write(_metricsPath, _metrics);
        if (_metrics.Count > 0)
        {
            RewardPlot.Save(Path.Combine(output, "rewards.png"), options.Objectives, ArmKeys, _metrics);
            WeightPlot.Save(Path.Combine(output, "weights.png"), options.Objectives, ArmKeys, _metrics);
        }

        if (_finished.Count == 0) return;

        // Each run's reference point is the pretrained policy evaluated with the run's own seed (same prompts and draws).
        var results = _finished.Select(r => new HeldOutResult(
            r.Method, r.Seed,
            options.Objectives.Select((o, i) => (o, before[r.Seed].Mean(i))).ToDictionary(p => p.o, p => p.Item2),
            r.MeanRewards, r.SecondsPerStep, r.Preference)).ToList();
        RunSummary summary = RunSummary.From(options.Objectives, options.Seeds, options.Steps, results);
        AtomicFile.WriteAllText(Path.Combine(output, "summary.json"), summary.ToJson());
        AtomicFile.WriteAllText(Path.Combine(output, "summary.md"), summary.ToMarkdown());
        ParetoPlot.Save(Path.Combine(output, "pareto.png"), options.Objectives, ArmKeys, results);
        FrontPlot.Save(Path.Combine(output, "front.png"), options.Objectives, summary.Front, results);
        AtomicFile.WriteAllText(Path.Combine(output, "samples.txt"), SamplesText.Build(_heldOutPrompts, options.Objectives, before, _finished, options.Seeds[0], SamplePromptCount));
    }

    private string[] ArmKeys => [.. _arms.Select(a => a.Key)];

    /// <summary>This rank's contiguous share of a step's prompts (all of them in one process).</summary>
    private IReadOnlyList<string> RankShare(IReadOnlyList<string> prompts)
    {
        if (group is null || group.Size == 1) return prompts;
        int start = prompts.Count * group.Rank / group.Size, end = prompts.Count * (group.Rank + 1) / group.Size;
        return [.. prompts.Skip(start).Take(end - start)];
    }

    /// <summary>The prompts of one training step: a fixed function of (seed, step), the same for every method.</summary>
    public static IReadOnlyList<string> PromptsForStep(IReadOnlyList<string> prompts, int seed, int step, int batchSize)
    {
        var random = new Random(unchecked((seed * 1_000_003) + step));
        int count = Math.Min(batchSize, prompts.Count);
        int[] order = Enumerable.Range(0, prompts.Count).ToArray();
        // Partial Fisher-Yates: the first `count` entries are a uniform sample without replacement.
        for (int i = 0; i < count; i++)
        {
            int j = random.Next(i, order.Length);
            (order[i], order[j]) = (order[j], order[i]);
        }

        return order.Take(count).Select(i => prompts[i]).ToArray();
    }

    private static long EvaluationSeed(int seed) => 1_000_000L + seed;

    // The library's check: a missing CUDA backend or device fails with both fixes (CPU, or the CUDA backend package).
    private static Device ResolveDevice(string name) => Pama.TorchSharp.TorchRuntime.ResolveDevice(name);
}
