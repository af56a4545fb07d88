using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;

namespace Pama.FineTune.Experiment;

/// <summary>
/// The one budget every method gets: the same steps, batch, learning rates, PPO epochs, KL
/// penalty and sampling settings. Only <see cref="PamaTrainerOptions.Method"/> (and the seed) differs
/// between runs, so a difference in outcome is the method's doing.
/// </summary>
/// <param name="MaxNewTokens">Longest response in tokens (about 4.4 characters each here, so 48 tokens can reach the length reward's 210-character ceiling).</param>
/// <param name="LearningRate">Policy AdamW learning rate.</param>
/// <param name="ValueLearningRate">Value-head AdamW learning rate.</param>
/// <param name="PpoEpochs">Passes over each rollout batch.</param>
/// <param name="MiniBatches">Minibatches per pass.</param>
/// <param name="KlCoefficient">β of the per-token KL penalty (its start value with <paramref name="AdaptiveKl"/>).</param>
/// <param name="Whitening">Advantage whitening (<see cref="PamaTrainerOptions.AdvantageWhitening"/>).</param>
/// <param name="Critic">What the value losses train (<see cref="PamaTrainerOptions.Critic"/>).</param>
/// <param name="WeightDecay">AdamW weight decay; 0 makes the optimizers Adam.</param>
/// <param name="MaxGradNorm">Gradient-norm bound; +∞ for none.</param>
/// <param name="AdaptiveKl">Adaptive KL controller, or <c>null</c> for a fixed β.</param>
/// <param name="ValueHeads">How the value heads start (the same for every method).</param>
public sealed record TrainingBudget(
    int MaxNewTokens,
    double LearningRate,
    double ValueLearningRate,
    int PpoEpochs,
    int MiniBatches,
    double KlCoefficient,
    AdvantageWhitening Whitening = AdvantageWhitening.None,
    CriticTraining Critic = CriticTraining.HeadsOnly,
    double WeightDecay = 0.01,
    double MaxGradNorm = 1.0,
    AdaptiveKlOptions? AdaptiveKl = null,
    ValueHeadInitialization ValueHeads = ValueHeadInitialization.FirstBatchMeanReturn)
{
    /// <summary>
    /// The budget of the embedded tiny policy. A 0.27 M-parameter model trained for 40 steps needs a larger
    /// step than GPT-2 125M's 1e-5. The per-token KL penalty is summed over up to 48 tokens, so it weighs against
    /// length: in trial runs with β = 0.2 PAMA's responses got shorter over its first 24 steps, and with β = 0.1
    /// MORLHF's and MGDA-UB's got shorter over 40 steps; with β = 0.05 the rewards move within the budget.
    /// </summary>
    /// <remarks>The value heads use the library's defaults (they start at the first batch's mean return and learn at 1e-3), the
    /// same for every method.</remarks>
    public static readonly TrainingBudget Tiny = new(MaxNewTokens: 48, LearningRate: 3e-4, ValueLearningRate: 1e-3, PpoEpochs: 4, MiniBatches: 2, KlCoefficient: 0.05);

    /// <summary>The budget for a Hugging Face GPT-2 (<c>--model</c>): the paper's learning rate and KL coefficient, with the library's
    /// value-head defaults (heads start at the first batch's mean return and learn at 1e-3, so a sentiment logit that starts
    /// negative does not stall PAMA).</summary>
    public static readonly TrainingBudget Pretrained = new(MaxNewTokens: 48, LearningRate: 1e-5, ValueLearningRate: 1e-3, PpoEpochs: 4, MiniBatches: 2, KlCoefficient: 0.2);

    /// <summary>
    /// <c>--preset paper</c>: the settings He and Maghsudi state (batch 128 is set on the command line; Adam with learning
    /// rate 1e-5, initial β 0.2 with an adaptive KL controller towards a KL of 3, clip range 0.2: the optimizer settings
    /// the paper states, given for its LLaMA-2 run, as it states none for GPT-2) and TRL's PPO defaults
    /// where the paper is silent (4 PPO epochs, one minibatch of the whole batch, value loss weight 0.1 and value clip
    /// 0.2 as the trainer's defaults, KL horizon 10000, no weight decay, no gradient clipping, advantages whitened per
    /// objective, a value head trained through the shared trunk). Not stated by either: responses of up to 48 tokens,
    /// so the length reward's 210-character ceiling is reachable.
    /// </summary>
    public static readonly TrainingBudget Paper = new(
        MaxNewTokens: 48, LearningRate: 1e-5, ValueLearningRate: 1e-5, PpoEpochs: 4, MiniBatches: 1, KlCoefficient: 0.2,
        Whitening: AdvantageWhitening.PerObjective, Critic: CriticTraining.ThroughTrunk, WeightDecay: 0, MaxGradNorm: double.PositiveInfinity,
        AdaptiveKl: new AdaptiveKlOptions(TargetKl: 3.0, Horizon: 10_000));

    /// <summary>Sampling for training and evaluation alike: plain ancestral sampling (temperature 1, no top-k or top-p), stopping at end-of-text.</summary>
    public SamplingOptions Sampling(int endOfTextId) => new()
    {
        MaxNewTokens = MaxNewTokens,
        Temperature = 1.0,
        TopK = 0,
        TopP = 1.0,
        EosTokenId = endOfTextId,
    };

    /// <summary>Trainer options for one run; everything but the method, granularity, preference and seed is the shared budget.</summary>
    /// <param name="method">Method key.</param>
    /// <param name="granularity">Granularity key (read by PAMA only).</param>
    /// <param name="seed">The run's seed.</param>
    /// <param name="endOfTextId">The tokenizer's end-of-text id.</param>
    /// <param name="preference">MORLHF's preference weights for a sweep run, or <c>null</c> for the method's own weighting.</param>
    /// <exception cref="ArgumentException">A preference for a method other than MORLHF.</exception>
    public PamaTrainerOptions TrainerOptions(string method, string granularity, int seed, int endOfTextId, IReadOnlyList<double>? preference = null) => new()
    {
        Method = preference is null ? MethodNames.ToMethod(method, granularity, seed)
            : method == RunArm.SweptMethod ? new MorlhfMethod([.. preference])
            : throw new ArgumentException($"Only MORLHF takes a preference vector, not '{method}'.", nameof(preference)),
        LearningRate = LearningRate,
        ValueLearningRate = ValueLearningRate,
        ValueHeadInitialization = ValueHeads,
        PpoEpochs = PpoEpochs,
        MiniBatches = MiniBatches,
        KlCoefficient = KlCoefficient,
        AdaptiveKl = AdaptiveKl,
        AdvantageWhitening = Whitening,
        Critic = Critic,
        WeightDecay = WeightDecay,
        MaxGradNorm = MaxGradNorm,
        Generation = Sampling(endOfTextId),
        Seed = seed,
    };
}
