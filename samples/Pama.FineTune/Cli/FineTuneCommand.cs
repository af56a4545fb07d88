using System.CommandLine;
using System.CommandLine.Parsing;

namespace Pama.FineTune.Cli;

/// <summary>Declares the sample's command line (System.CommandLine) and turns a parse into <see cref="FineTuneOptions"/>.</summary>
public sealed class FineTuneCommand
{
    private readonly Option<string[]> _methods = new("--method", "-m")
    {
        Description = "Alignment method to run; repeat for several (default: pama, morlhf and mgda-ub).",
        AllowMultipleArgumentsPerToken = true,
        HelpName = string.Join("|", Experiment.MethodNames.Keys),
    };

    private readonly Option<int> _sweep = new("--sweep")
    {
        Description = "Trace MORLHF's front: run it at K evenly spaced preference vectors ((1-t, t) for t = 0..1 with two objectives, a simplex lattice with K points per edge for more), each with the same budget and seeds as every other method.",
        HelpName = "K",
    };

    private readonly Option<string[]> _objectives = new("--objectives", "-o")
    {
        Description = "Objectives to align on, two or more, space- or comma-separated (default: sentiment length).",
        AllowMultipleArgumentsPerToken = true,
        HelpName = "sentiment|length|non-repetition",
    };

    private readonly Option<int> _steps = new("--steps")
    {
        Description = "Training steps per method and seed.",
        DefaultValueFactory = _ => FineTuneOptions.DefaultSteps,
    };

    private readonly Option<int> _seeds = new("--seeds")
    {
        Description = "Number of seeds per method (seeds 1..N).",
        DefaultValueFactory = _ => FineTuneOptions.DefaultSeeds,
    };

    private readonly Option<int> _batchSize = new("--batch-size")
    {
        Description = "Prompts per training step.",
        DefaultValueFactory = _ => FineTuneOptions.DefaultBatchSize,
    };

    private readonly Option<string> _granularity = new("--granularity")
    {
        Description = "PAMA's weights per batch (the paper), per sequence or per token (extensions); MORLHF and MGDA-UB ignore it.",
        DefaultValueFactory = _ => "batch",
    };

    private readonly Option<string> _device = new("--device")
    {
        Description = "Torch device.",
        DefaultValueFactory = _ => "cpu",
    };

    private readonly Option<string?> _model = new("--model")
    {
        Description = "A Hugging Face causal LM checkpoint directory (GPT-2, Llama, Mistral or Qwen2: config.json, safetensors weights, tokenizer files) to align instead of the embedded tiny policy.",
        HelpName = "DIR",
    };

    private readonly Option<string?> _rewardModel = new("--reward-model")
    {
        Description = "A Hugging Face sequence classifier directory (GPT-2, DistilBERT, Llama, Mistral or Qwen2 ...ForSequenceClassification, with its tokenizer) that replaces the built-in sentiment scorer.",
        HelpName = "DIR",
    };

    private readonly Option<string?> _rewardLabel = new("--reward-label")
    {
        Description = "The --reward-model label whose logit is the reward (e.g. POSITIVE); default: its single logit, or POSITIVE.",
        HelpName = "LABEL",
    };

    private readonly Option<string> _out = new("--out")
    {
        Description = "Output folder for metrics.csv, rewards.png, summary.json, summary.md, samples.txt and checkpoints.",
        DefaultValueFactory = _ => FineTuneOptions.DefaultOutputDirectory,
        HelpName = "DIR",
    };

    private readonly Option<int> _threads = new("--threads")
    {
        Description = "Torch CPU threads (default 1: fastest for the tiny default model, and safe on a busy machine).",
        DefaultValueFactory = _ => FineTuneOptions.DefaultThreads,
    };

    private readonly Option<bool> _lora = new("--lora")
    {
        Description = "Align through a LoRA adapter (frozen base, reference = base without the adapter); each run writes the adapter in PEFT's format.",
    };

    private readonly Option<int> _loraRank = new("--lora-rank")
    {
        Description = "Rank r of the LoRA adapter (with --lora).",
        DefaultValueFactory = _ => 8,
    };

    private readonly Option<double> _loraAlpha = new("--lora-alpha")
    {
        Description = "LoRA scale numerator alpha; the update is scaled by alpha / r (with --lora).",
        DefaultValueFactory = _ => 16,
    };

    private readonly Option<string> _whiten = new("--whiten")
    {
        Description = "Advantage whitening once per step: none, or per-objective as TRL's PPO (MORLHF whitens its combined advantage). Default none (paper preset: per-objective).",
        HelpName = "none|per-objective",
    };

    private readonly Option<string> _critic = new("--critic")
    {
        Description = "What the value losses train: heads (on detached hidden states) or trunk (through the shared hidden states, as TRL's value head). Default heads (paper preset: trunk).",
        HelpName = "heads|trunk",
    };

    private readonly Option<string?> _prompts = new("--prompts")
    {
        Description = "Prompts to align on instead of the embedded review openings: one per line, or JSON Lines with a \"prompt\" field. Every 10th prompt is held out for evaluation.",
        HelpName = "FILE",
    };

    private readonly Option<string> _preset = new("--preset")
    {
        Description = "default: the sample's budget. paper: the paper's stated settings (batch 128, 8 seeds, one epoch over the prompts, Adam lr 1e-5, β 0.2 adaptive to KL 3, clip 0.2) and TRL's PPO defaults where it is silent (whitened advantages, critic through the trunk, no weight decay or clipping). Explicit options override it.",
        DefaultValueFactory = _ => "default",
    };

    private readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue from the checkpoints in --out instead of starting over. A run without a checkpoint there yet starts from step 0 "
            + "(with a message saying so). Under --data-parallel every rank continues from rank 0's checkpoints.",
    };

    private readonly Option<int?> _microBatch = new("--micro-batch")
    {
        Description = "At most this many rows per forward (and backward) pass in generation, scoring and every PPO minibatch, with the "
            + "gradients accumulated before each optimizer step (default: a whole batch or minibatch per pass). Only memory and time change: "
            + "the statistics, weights, losses and gradients are those of the whole minibatch.",
    };

    private readonly Option<bool> _dataParallel = new("--data-parallel")
    {
        Description = "Run under mpirun (mpirun -np N dotnet Pama.FineTune.dll --data-parallel): each step's prompts are split across the ranks, "
            + "which compute the same weights and updates; rank 0 writes the outputs. Needs MPICH (see docs/data-parallel.md).",
    };

    /// <summary>Builds the root command; <paramref name="run"/> receives the validated options and returns the exit code.</summary>
    public RootCommand Create(Func<FineTuneOptions, CancellationToken, Task<int>> run)
    {
        _methods.AcceptOnlyFromAmong([.. Experiment.MethodNames.Keys]);
        _granularity.AcceptOnlyFromAmong(FineTuneOptions.AllGranularities);
        _device.AcceptOnlyFromAmong(FineTuneOptions.AllDevices);
        _objectives.Validators.Add(ValidateObjectives);
        _steps.Validators.Add(r => RequirePositive(r, _steps));
        _sweep.Validators.Add(r =>
        {
            int points = r.GetValueOrDefault<int>();
            if (points < 2) r.AddError($"{_sweep.Name} needs two or more preference vectors per edge, got {points}.");
        });
        _seeds.Validators.Add(r => RequirePositive(r, _seeds));
        _batchSize.Validators.Add(r => RequirePositive(r, _batchSize));
        _threads.Validators.Add(r => RequirePositive(r, _threads));
        _microBatch.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 and var rows) r.AddError($"{_microBatch.Name} must be at least 1, got {rows}.");
        });
        _loraRank.Validators.Add(r => RequirePositive(r, _loraRank));
        _loraAlpha.Validators.Add(r =>
        {
            double alpha = r.GetValueOrDefault<double>();
            if (!(double.IsFinite(alpha) && alpha > 0)) r.AddError($"{_loraAlpha.Name} must be a positive number, got {alpha}.");
        });
        _model.Validators.Add(ValidateModelDirectory);
        _rewardModel.Validators.Add(ValidateRewardModelDirectory);
        _whiten.AcceptOnlyFromAmong(FineTuneOptions.AllWhitenings);
        _critic.AcceptOnlyFromAmong(FineTuneOptions.AllCritics);
        _preset.AcceptOnlyFromAmong(FineTuneOptions.AllPresets);
        _prompts.Validators.Add(ValidatePromptsFile);

        var root = new RootCommand(
            "Aligns a GPT-2 policy with PAMA, MORLHF and MGDA-UB on several rewards (sentiment, length, ...), " +
            "several seeds each, the same budget for every method, and reports held-out rewards, curves and samples.")
        {
            _methods, _objectives, _steps, _seeds, _batchSize, _granularity, _device, _model, _rewardModel, _rewardLabel, _out, _resume, _threads,
            _lora, _loraRank, _loraAlpha, _dataParallel, _microBatch,
            _whiten, _critic, _prompts, _preset, _sweep,
        };
        root.Validators.Add(ValidateRewardLabel);
        root.SetAction((result, cancellation) => run(Bind(result), cancellation));
        return root;
    }

    private FineTuneOptions Bind(ParseResult result)
    {
        string[] methods = result.GetValue(_methods) is { Length: > 0 } m ? m.Distinct().ToArray() : FineTuneOptions.AllMethods;
        string[] objectives = SplitObjectives(result.GetValue(_objectives)) is { Length: > 0 } o ? o : ["sentiment", "length"];
        // A preset only changes defaults: whatever is given explicitly wins.
        bool paper = result.GetValue(_preset) == "paper";
        int seedCount = paper && !Given(result, _seeds) ? FineTuneOptions.PaperSeeds : result.GetValue(_seeds);
        int batchSize = paper && !Given(result, _batchSize) ? FineTuneOptions.PaperBatchSize : result.GetValue(_batchSize);
        string whitening = result.GetValue(_whiten) ?? (paper ? "per-objective" : "none");
        string critic = result.GetValue(_critic) ?? (paper ? "trunk" : "heads");
        return new FineTuneOptions(
            methods,
            objectives,
            result.GetValue(_steps),
            Enumerable.Range(1, seedCount).ToArray(),
            batchSize,
            result.GetValue(_granularity)!,
            result.GetValue(_device)!,
            result.GetValue(_model),
            result.GetValue(_out)!,
            result.GetValue(_resume),
            result.GetValue(_threads),
            result.GetValue(_rewardModel),
            result.GetValue(_rewardLabel),
            whitening,
            critic,
            result.GetValue(_prompts),
            paper ? "paper" : "default",
            OneEpoch: paper && !Given(result, _steps))
        {
            Lora = result.GetValue(_lora)
                ? new Pama.TorchSharp.Models.LoraOptions { Rank = result.GetValue(_loraRank), Alpha = result.GetValue(_loraAlpha), TargetModules = ["c_attn", "c_proj", "c_fc"] }
                : null,
            Sweep = result.GetValue(_sweep),
            MicroBatch = result.GetValue(_microBatch),
        };
    }

    private static bool Given(ParseResult result, Option option) => result.GetResult(option) is { Implicit: false };

    private static void ValidatePromptsFile(OptionResult result)
    {
        string? path = result.GetValueOrDefault<string?>();
        if (path is not null && !File.Exists(path)) result.AddError($"--prompts: the file '{path}' does not exist.");
    }

    private static string[] SplitObjectives(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();

    private static void ValidateObjectives(OptionResult result)
    {
        string[] names = SplitObjectives(result.GetValueOrDefault<string[]>());
        foreach (string name in names)
        {
            if (!FineTuneOptions.AllObjectives.Contains(name))
            {
                result.AddError($"Unknown objective '{name}'. Built-in objectives: {string.Join(", ", FineTuneOptions.AllObjectives)}.");
                return;
            }
        }

        if (names.Distinct().Count() != names.Length) result.AddError("--objectives lists an objective twice.");
        else if (names.Length < 2) result.AddError($"--objectives needs two or more objectives, got {names.Length}. Built-ins: {string.Join(", ", FineTuneOptions.AllObjectives)}.");
    }

    private static void RequirePositive(OptionResult result, Option<int> option)
    {
        int value = result.GetValueOrDefault<int>();
        if (value <= 0) result.AddError($"{option.Name} must be a positive integer, got {value}.");
    }

    private static void ValidateModelDirectory(OptionResult result) => ValidateCheckpointDirectory(result, "--model");

    private static void ValidateRewardModelDirectory(OptionResult result) => ValidateCheckpointDirectory(result, "--reward-model");

    private void ValidateRewardLabel(CommandResult result)
    {
        if (result.GetValue(_rewardLabel) is not null && result.GetValue(_rewardModel) is null)
            result.AddError("--reward-label needs --reward-model.");
        else if (result.GetValue(_rewardModel) is not null && !SplitObjectives(result.GetValue(_objectives)).DefaultIfEmpty("sentiment").Contains("sentiment"))
            result.AddError("--reward-model replaces the sentiment objective; add sentiment to --objectives.");
    }

    /// <summary>A Hugging Face checkpoint: config.json, safetensors weights (single or sharded) and tokenizer files.</summary>
    private static void ValidateCheckpointDirectory(OptionResult result, string option)
    {
        string? directory = result.GetValueOrDefault<string?>();
        if (directory is null) return;
        if (!Directory.Exists(directory))
        {
            result.AddError($"{option}: the directory '{directory}' does not exist.");
            return;
        }

        bool Has(string file) => File.Exists(Path.Combine(directory, file));
        var missing = new List<string>();
        if (!Has("config.json")) missing.Add("config.json");
        if (!Has("model.safetensors") && !Has("model.safetensors.index.json")) missing.Add("model.safetensors (or model.safetensors.index.json)");
        if (!Has("tokenizer.json") && !Has("tokenizer.model") && !Has("vocab.txt") && !(Has("vocab.json") && Has("merges.txt")))
            missing.Add("tokenizer files (tokenizer.json, tokenizer.model, vocab.txt, or vocab.json + merges.txt)");
        if (missing.Count > 0) result.AddError($"{option}: '{directory}' is not a Hugging Face checkpoint directory; missing {string.Join(", ", missing)}.");
    }
}
