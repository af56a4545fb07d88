namespace Pama.FineTune.Cli;

/// <summary>The validated command line of the sample.</summary>
/// <param name="Methods">Method keys to run, in order: <c>pama</c>, <c>morlhf</c>, <c>mgda-ub</c>.</param>
/// <param name="Objectives">Objective names, two or more, in order.</param>
/// <param name="Steps">Training steps per (method, seed) run.</param>
/// <param name="Seeds">Seeds <c>1 .. N</c>.</param>
/// <param name="BatchSize">Prompts per training step.</param>
/// <param name="Granularity">How finely PAMA weighs the objectives: <c>batch</c> (the paper), <c>sequence</c> or <c>token</c> (our extensions); the baselines ignore it.</param>
/// <param name="Device">Torch device name: <c>cpu</c> or <c>cuda</c>.</param>
/// <param name="ModelDirectory">A Hugging Face causal LM checkpoint directory (GPT-2, Llama, Mistral, Qwen2), or <c>null</c> for the embedded tiny policy.</param>
/// <param name="OutputDirectory">Where outputs and checkpoints go.</param>
/// <param name="Resume">Continue from the checkpoints in <paramref name="OutputDirectory"/>.</param>
/// <param name="Threads">Torch intra-op CPU threads.</param>
/// <param name="RewardModelDirectory">A Hugging Face sequence classifier that replaces the built-in sentiment scorer, or <c>null</c>.</param>
/// <param name="RewardLabel">The classifier label whose logit is rewarded (e.g. <c>POSITIVE</c>); <c>null</c> for the single logit or POSITIVE.</param>
/// <param name="Whitening">Advantage whitening: <c>none</c> or <c>per-objective</c> (TRL).</param>
/// <param name="Critic">What the value losses train: <c>heads</c> (detached hidden states) or <c>trunk</c> (TRL's value head).</param>
/// <param name="PromptsFile">A prompt file (one per line, or JSON Lines with <c>prompt</c>), or <c>null</c> for the embedded review openings.</param>
/// <param name="Preset">Settings preset: <c>default</c> (the sample's budget) or <c>paper</c> (the paper's stated settings, TRL's defaults elsewhere).</param>
/// <param name="OneEpoch">Train for one pass over the training prompts (<c>--preset paper</c> without <c>--steps</c>) instead of <paramref name="Steps"/>.</param>
public sealed record FineTuneOptions(
    IReadOnlyList<string> Methods,
    IReadOnlyList<string> Objectives,
    int Steps,
    IReadOnlyList<int> Seeds,
    int BatchSize,
    string Granularity,
    string Device,
    string? ModelDirectory,
    string OutputDirectory,
    bool Resume,
    int Threads,
    string? RewardModelDirectory = null,
    string? RewardLabel = null,
    string Whitening = "none",
    string Critic = "heads",
    string? PromptsFile = null,
    string Preset = "default",
    bool OneEpoch = false)
{
    /// <summary>Method keys of the default run, in the order they run (every selectable key: <see cref="Experiment.MethodNames.Keys"/>).</summary>
    public static readonly string[] AllMethods = Experiment.MethodNames.Defaults;

    /// <summary>Built-in objective names.</summary>
    public static readonly string[] AllObjectives = ["sentiment", "length", "non-repetition"];

    /// <summary>Granularity names.</summary>
    public static readonly string[] AllGranularities = ["batch", "sequence", "token"];

    /// <summary>Whitening names.</summary>
    public static readonly string[] AllWhitenings = ["none", "per-objective"];

    /// <summary>Critic names.</summary>
    public static readonly string[] AllCritics = ["heads", "trunk"];

    /// <summary>Preset names.</summary>
    public static readonly string[] AllPresets = ["default", "paper"];

    /// <summary>Prompts per step under <c>--preset paper</c> (the paper's batch size).</summary>
    public const int PaperBatchSize = 128;

    /// <summary>Seeds under <c>--preset paper</c> (the paper's GPT-2 runs).</summary>
    public const int PaperSeeds = 8;

    /// <summary>Device names.</summary>
    public static readonly string[] AllDevices = ["cpu", "cuda"];

    /// <summary>Default number of training steps per run, sized so the default run fits in ten minutes on two CPU cores.</summary>
    public const int DefaultSteps = 40;

    /// <summary>Default number of seeds.</summary>
    public const int DefaultSeeds = 3;

    /// <summary>Default prompts per step (64: three times less spread across seeds than 32, for under two minutes more).</summary>
    public const int DefaultBatchSize = 64;

    /// <summary>
    /// Default torch CPU threads. One is the fastest choice for the tiny default model (its matrices are
    /// too small to split), and it cannot be starved: with two threads on a two-core machine that is
    /// also running anything else, libtorch's OpenMP threads wait on each other and pretraining was
    /// measured 30 times slower.
    /// </summary>
    public const int DefaultThreads = 1;

    /// <summary>
    /// LoRA settings when the run aligns through an adapter (<c>--lora</c>), or <c>null</c> for full fine-tuning. The adapter wraps
    /// GPT-2's <c>c_attn</c>, <c>c_proj</c> and <c>c_fc</c> (every projection of a Llama-family model), the reference is the same model with the adapter disabled, and each run
    /// writes its adapter in PEFT's format to <c>adapter/</c> in its folder.
    /// </summary>
    public Pama.TorchSharp.Models.LoraOptions? Lora { get; init; }

    /// <summary>
    /// Points per edge of MORLHF's preference sweep (<c>--sweep K</c>), or 0 for none. With a sweep MORLHF runs once per
    /// preference of <see cref="Experiment.PreferenceLattice"/> (K vectors for two objectives), each with the budget and seeds of
    /// every other method, instead of once at equal weights, and is added when not among <see cref="Methods"/>.
    /// </summary>
    public int Sweep { get; init; }

    /// <summary>
    /// At most this many rows per forward (and backward) pass (<c>--micro-batch N</c>) in generation, scoring and every PPO
    /// minibatch (capped at the minibatch's rows), or <c>null</c> for a whole batch or minibatch per pass. Memory and time change,
    /// the results do not, so a resumed run may use another value.
    /// </summary>
    public int? MicroBatch { get; init; }

    /// <summary>Default output folder.</summary>
    public const string DefaultOutputDirectory = "./pama-run";
}
