using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Methods;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Every setting of <see cref="PamaTrainer{TModel}"/>, with defaults following He and Maghsudi,
/// "Pareto Multi-Objective Alignment for Language Models" (ECML-PKDD 2025, arXiv 2508.07768) and the
/// PPO settings it builds on (Ziegler et al., 2019; TRL).
/// </summary>
public sealed record PamaTrainerOptions
{
    /// <summary>
    /// How the objectives are combined into one advantage (default <see cref="PamaMethod"/> at batch granularity, the paper):
    /// <see cref="PamaMethod"/>, <see cref="MorlhfMethod"/>, <see cref="NormalizeThenSumMethod"/>, <see cref="MgdaUbMethod"/>,
    /// <see cref="WeightingMethod"/> over any core weighting, or your own <see cref="IMultiObjectiveMethod"/>.
    /// Method-specific settings (PAMA's granularity, MORLHF's preferences) live in the method object.
    /// </summary>
    public IMultiObjectiveMethod Method { get; init; } = new PamaMethod();

    /// <summary>
    /// Advantage estimator: default <see cref="GeneralizedAdvantageEstimation"/> with γ = 1 and λ = 0.95 (the paper); also
    /// <see cref="GroupRelativeAdvantages"/> (critic-free, our extension) or your own <see cref="IAdvantageEstimator"/>.
    /// </summary>
    public IAdvantageEstimator AdvantageEstimator { get; init; } = new GeneralizedAdvantageEstimation(gamma: 1.0, lambda: 0.95);

    /// <summary>Responses sampled per prompt (default 1). Must equal the estimator's <see cref="IAdvantageEstimator.GroupSize"/>
    /// when that is above 1 (e.g. <see cref="GroupRelativeAdvantages"/>).</summary>
    public int SamplesPerPrompt { get; init; } = 1;

    /// <summary>PPO clip range ε of the ratio <c>u = π_θ/π_old</c> (paper: 0.2).</summary>
    public double ClipEpsilon { get; init; } = 0.2;

    /// <summary>Initial KL coefficient β of the per-token penalty <c>−β (log π_θ − log π_ref)</c> (paper: 0.2).</summary>
    public double KlCoefficient { get; init; } = 0.2;

    /// <summary>Adaptive KL controller (Ziegler et al., 2019), or <c>null</c> (default) for a fixed β. It scales β, so it needs a
    /// positive <see cref="KlCoefficient"/> to start from.</summary>
    public AdaptiveKlOptions? AdaptiveKl { get; init; }

    /// <summary>AdamW learning rate of the policy (paper: 1e-5).</summary>
    public double LearningRate { get; init; } = 1e-5;

    /// <summary>
    /// AdamW learning rate of the value heads (default 1e-3). The heads are linear probes on detached hidden states with
    /// their own optimizer, not a trunk shared with the policy, so they take the usual rate of a linear model: at the
    /// policy's 1e-5 a head's bias moves about 4e-5 per step (4 updates) and cannot follow the rewards as they change.
    /// </summary>
    public double ValueLearningRate { get; init; } = 1e-3;

    /// <summary>
    /// How the value heads start (default <see cref="Training.ValueHeadInitialization.FirstBatchMeanReturn"/>: each bias at its
    /// objective's mean return on the first batch, so the first advantages are centred). Ignored with group-relative advantages.
    /// </summary>
    public ValueHeadInitialization ValueHeadInitialization { get; init; } = ValueHeadInitialization.FirstBatchMeanReturn;

    /// <summary>
    /// After this many consecutive updates in which PAMA left the policy unchanged (<c>s* = 0</c>), the trainer raises
    /// <see cref="PamaTrainer{TModel}.Warning"/> once, naming the objectives without positive advantages (default 8,
    /// two steps at the default 4 PPO epochs).
    /// </summary>
    public int StallWarningUpdates { get; init; } = 8;

    /// <summary>
    /// AdamW decoupled weight decay of both optimizers (default 0.01, PyTorch's AdamW default). With 0 the optimizers
    /// are exactly Adam without weight decay, TRL's PPO optimizer.
    /// </summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>
    /// Maximum global L2 norm of the gradients, applied separately to the policy and the value heads (default 1.0).
    /// <see cref="double.PositiveInfinity"/> turns clipping off (TRL's PPO default); non-finite gradients are refused either way.
    /// </summary>
    public double MaxGradNorm { get; init; } = 1.0;

    /// <summary>Whitening of the advantages once per step (default <see cref="Training.AdvantageWhitening.None"/>; TRL whitens per objective).</summary>
    public AdvantageWhitening AdvantageWhitening { get; init; } = AdvantageWhitening.None;

    /// <summary>Whether the value losses train the heads only (default) or also the policy's trunk, as TRL's value head does
    /// (which needs a critic: an estimator that uses value heads, e.g. <see cref="GeneralizedAdvantageEstimation"/>).</summary>
    public CriticTraining Critic { get; init; } = CriticTraining.HeadsOnly;

    /// <summary>Passes over each rollout batch (default 4).</summary>
    public int PpoEpochs { get; init; } = 4;

    /// <summary>Minibatches each pass is split into, one optimizer step each (default 1).</summary>
    public int MiniBatches { get; init; } = 1;

    /// <summary>
    /// Rows (or padded tokens) per forward pass of the rollout's scoring: the policy's and the reference's log-probabilities,
    /// the values and the entropy, without gradients (default <c>null</c>: the whole batch in one pass). Only memory and time
    /// depend on it: each row is scored alone.
    /// </summary>
    public MicroBatchSize? ScoringMicroBatch { get; init; }

    /// <summary>
    /// Rows (or padded tokens) per forward and backward pass of each PPO minibatch, with the gradients accumulated over the
    /// passes before the one optimizer step (default <c>null</c>: the whole minibatch in one pass). The statistics, the
    /// Gramian, the weights, the losses and the gradients are those of the whole minibatch; a method that reads statistics
    /// or a Gramian costs one more pass per minibatch when it is split (docs/trainer.md). Must not exceed the minibatch.
    /// </summary>
    public MicroBatchSize? UpdateMicroBatch { get; init; }

    /// <summary>Weight of the value loss next to the policy loss (default 0.1, as TRL).</summary>
    public double ValueLossCoefficient { get; init; } = 0.1;

    /// <summary>Clip range of the value prediction around its rollout value (default 0.2, as TRL); <c>null</c> for an unclipped value loss.</summary>
    public double? ValueClipRange { get; init; } = 0.2;

    /// <summary>
    /// Learning-rate schedule of both optimizers, as a factor of each parameter group's initial learning rate at every step
    /// (default <see cref="LearningRateSchedule.Constant"/>). It depends only on the step counter, which checkpoints keep,
    /// so a resumed run continues the schedule exactly.
    /// </summary>
    public LearningRateSchedule LearningRateSchedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>
    /// Creates the policy optimizer from the trainable policy parameters and <see cref="LearningRate"/>; <c>null</c> (default)
    /// for AdamW with <see cref="WeightDecay"/> (<see cref="Optimizers.AdamW"/>, which keeps its Scalars alive). Its state is saved in checkpoints.
    /// </summary>
    /// <remarks>TorchSharp 0.107's built-in optimizers make temporary Scalars in <c>step</c> that a garbage collection on
    /// another thread can free while libtorch reads them. A safe factory returns <see cref="Optimizers.AdamW"/> (with your
    /// settings) or an optimizer whose <c>step</c> creates every Scalar explicitly and disposes it after the call; see
    /// docs/scalar-safety.md.</remarks>
    public OptimizerFactory? PolicyOptimizer { get; init; }

    /// <summary>
    /// Creates the value-head optimizer from the value-head parameters and <see cref="ValueLearningRate"/>; <c>null</c> (default)
    /// for AdamW with <see cref="WeightDecay"/> (<see cref="Optimizers.AdamW"/>). Its state is saved in checkpoints.
    /// </summary>
    /// <remarks>The same care as for <see cref="PolicyOptimizer"/>: keep every Scalar of <c>step</c> alive (docs/scalar-safety.md).</remarks>
    public OptimizerFactory? ValueOptimizer { get; init; }

    /// <summary>
    /// How responses are sampled (length, temperature, top-k, top-p). When <see cref="SamplingOptions.EosTokenId"/>
    /// is <c>null</c> the trainer uses the tokenizer's end-of-text id, so responses end where the model ends them.
    /// Log-probabilities for PPO are always those of the untempered policy.
    /// </summary>
    public SamplingOptions Generation { get; init; } = new();

    /// <summary>Seed of the trainer's own generator (sampling and minibatch shuffling) (default 0).</summary>
    public long Seed { get; init; }

    /// <summary>Switches the policy's <see cref="Models.ICausalLanguageModel.ActivationCheckpointing"/> on (default false: the model's own setting is kept).</summary>
    public bool ActivationCheckpointing { get; init; }

    /// <summary>
    /// The processes of a data-parallel run (default <see cref="Distributed.SingleProcessGroup.Instance"/>: one process, no
    /// communication). With a group of several ranks, each rank's trainer steps on its own share of the batch and every update
    /// sums, over the ranks, PAMA's statistic sums and token counts (MGDA-UB: its Gramian; MORLHF: nothing), the gradients and
    /// the reported values, so every rank computes the same weights, takes the same optimizer step and keeps the same KL
    /// coefficient and step counter: a step on the ranks' shares equals one process's step on the whole batch. Every rank must
    /// use the same options and seed; only rank 0 writes checkpoints. An exception on one rank ends the job (MPI's launcher
    /// stops the others).
    /// </summary>
    public Distributed.IProcessGroup ProcessGroup { get; init; } = Distributed.SingleProcessGroup.Instance;

    /// <summary>
    /// Checks every setting for <paramref name="objectiveCount"/> objectives.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range; the parameter name is the property's name.</exception>
    public void Validate(int objectiveCount)
    {
        if (objectiveCount < 1) throw new ArgumentException($"At least one objective is required, got {objectiveCount}.", nameof(objectiveCount));
        Require(Method is not null, nameof(Method), "must not be null");
        try { _ = Method!.CreateWeighting(objectiveCount) ?? throw new ArgumentException("it created no weighting."); }
        catch (ArgumentException e) { throw new ArgumentException($"{nameof(Method)} {Method!.Name} is invalid: {e.Message}", nameof(Method), e); }
        Require(LearningRateSchedule is not null, nameof(LearningRateSchedule), "must not be null");
        Require(AdvantageEstimator is not null, nameof(AdvantageEstimator), "must not be null");
        Require(AdvantageEstimator!.GroupSize >= 1, nameof(AdvantageEstimator), $"its group size must be at least 1, got {AdvantageEstimator.GroupSize}");
        Require(Enum.IsDefined(ValueHeadInitialization), nameof(ValueHeadInitialization), $"unknown initialization {ValueHeadInitialization}");
        Require(StallWarningUpdates >= 1, nameof(StallWarningUpdates), $"must be at least 1, got {StallWarningUpdates}");
        Require(SamplesPerPrompt >= 1, nameof(SamplesPerPrompt), $"must be at least 1, got {SamplesPerPrompt}");
        Require(AdvantageEstimator.GroupSize == 1 || SamplesPerPrompt == AdvantageEstimator.GroupSize, nameof(SamplesPerPrompt),
            $"{AdvantageEstimator.GetType().Name} forms groups of {AdvantageEstimator.GroupSize} samples of one prompt, so it needs {AdvantageEstimator.GroupSize} samples per prompt, got {SamplesPerPrompt}");
        Require(double.IsFinite(AdvantageEstimator.Discount) && AdvantageEstimator.Discount >= 0 && AdvantageEstimator.Discount <= 1, nameof(AdvantageEstimator),
            $"its discount must lie in [0, 1], got {AdvantageEstimator.Discount}");
        Require(double.IsFinite(ClipEpsilon) && ClipEpsilon > 0 && ClipEpsilon < 1, nameof(ClipEpsilon), $"must lie in (0, 1), got {ClipEpsilon}");
        Require(double.IsFinite(KlCoefficient) && KlCoefficient >= 0, nameof(KlCoefficient), $"must be finite and nonnegative, got {KlCoefficient}");
        if (AdaptiveKl is { } kl)
        {
            Require(double.IsFinite(kl.TargetKl) && kl.TargetKl > 0, nameof(AdaptiveKl), $"TargetKl must be finite and positive, got {kl.TargetKl}");
            Require(double.IsFinite(kl.Horizon) && kl.Horizon > 0, nameof(AdaptiveKl), $"Horizon must be finite and positive, got {kl.Horizon}");
            // The controller multiplies β by a factor near 1 each step, so a β of 0 would stay 0 and the target would never be tracked.
            Require(KlCoefficient > 0, nameof(KlCoefficient),
                $"must be positive with {nameof(AdaptiveKl)}, got {KlCoefficient}: the adaptive controller multiplies it, so it would stay 0 forever " +
                $"(for no KL penalty set {nameof(AdaptiveKl)} = null)");
        }
        Require(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), $"must be finite and positive, got {LearningRate}");
        Require(double.IsFinite(ValueLearningRate) && ValueLearningRate > 0, nameof(ValueLearningRate), $"must be finite and positive, got {ValueLearningRate}");
        Require(double.IsFinite(WeightDecay) && WeightDecay >= 0, nameof(WeightDecay), $"must be finite and nonnegative, got {WeightDecay}");
        Require(!double.IsNaN(MaxGradNorm) && MaxGradNorm > 0, nameof(MaxGradNorm), $"must be positive (or +∞ for no clipping), got {MaxGradNorm}");
        Require(Enum.IsDefined(AdvantageWhitening), nameof(AdvantageWhitening), $"unknown whitening {AdvantageWhitening}");
        Require(Enum.IsDefined(Critic), nameof(Critic), $"unknown critic training {Critic}");
        Require(Critic != CriticTraining.ThroughTrunk || AdvantageEstimator.UsesValueHeads, nameof(Critic),
            $"{CriticTraining.ThroughTrunk} trains the trunk with the value losses, but {AdvantageEstimator.GetType().Name} uses no critic and has none " +
            $"(use {CriticTraining.HeadsOnly}, or {nameof(GeneralizedAdvantageEstimation)})");
        Require(PpoEpochs >= 1, nameof(PpoEpochs), $"must be at least 1, got {PpoEpochs}");
        Require(ProcessGroup is not null, nameof(ProcessGroup), "must not be null (use SingleProcessGroup.Instance)");
        Require(MiniBatches >= 1, nameof(MiniBatches), $"must be at least 1, got {MiniBatches}");
        Require(double.IsFinite(ValueLossCoefficient) && ValueLossCoefficient >= 0, nameof(ValueLossCoefficient), $"must be finite and nonnegative, got {ValueLossCoefficient}");
        Require(ValueClipRange is null || (double.IsFinite(ValueClipRange.Value) && ValueClipRange.Value > 0), nameof(ValueClipRange),
            $"must be finite and positive or null, got {ValueClipRange}");
        Require(Generation is not null, nameof(Generation), "must not be null");
        try { Generation!.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{nameof(Generation)} is invalid: {e.Message}", nameof(Generation), e); }
    }

    private static void Require(bool condition, string property, string message)
    {
        if (!condition) throw new ArgumentException($"{property} {message}.", property);
    }
}
