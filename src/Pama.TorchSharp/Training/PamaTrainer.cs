using System.Diagnostics;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Checkpoints;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Multi-objective RLHF of a causal language model with PAMA (He and Maghsudi, "Pareto Multi-Objective
/// Alignment for Language Models", ECML-PKDD 2025, arXiv 2508.07768), or the MORLHF and MGDA-UB
/// baselines. Drive it from your own loop: one <see cref="Step(IReadOnlyList{string})"/> per batch of prompts.
/// </summary>
/// <remarks>
/// <para>One step: sample responses from the policy (KV cache, the trainer's generator) → score them with
/// the <c>n</c> objectives (validated before any parameter changes) → per-token rewards
/// <c>r^i_t = −β (log π_old − log π_ref)_t + R^i 1[t = last]</c> → per-objective advantages (GAE with one
/// value head per objective, or group-relative) → the method forms ONE advantage → clipped surrogate
/// plus value losses → ONE backward → gradient check and clipping → AdamW steps, for
/// <see cref="PamaTrainerOptions.PpoEpochs"/> × <see cref="PamaTrainerOptions.MiniBatches"/> updates.</para>
/// <para>PAMA forms <c>Σ_i c_i max(A'^i, 0)</c> with <c>c</c> from Theorem 1 on the statistics
/// <c>a_i = mean_t max(A'^i_t, 0) 1[u_t ≤ 1+ε]</c>; when <c>s* = 0</c> the policy optimizer is not stepped
/// (the value heads still are). The value heads read the hidden states detached, so only the policy loss
/// moves the policy.</para>
/// <para>Dropout is disabled: the policy and the reference run in evaluation mode throughout, so the rollout
/// log-probabilities equal those of the first update (<c>u = 1</c>) and the ratio measures parameter change only.</para>
/// <para>All tensors follow the policy's device and floating type; the reference must live on the same device. The
/// trainer's random generator lives on the CPU (TorchSharp creates CPU generators only): on a GPU, each sampling step
/// copies the next-token probabilities <c>[B, V]</c> to the CPU to draw from them.</para>
/// </remarks>
/// <typeparam name="TModel">The causal language model type (e.g. <see cref="Gpt2Model"/>).</typeparam>
public sealed class PamaTrainer<TModel> : IDisposable where TModel : nn.Module, ICausalLanguageModel
{
    private readonly TModel _policy;
    private readonly IReadOnlyList<IRewardObjective> _objectives;
    private readonly KlController _kl;
    private readonly Generator _generator;
    private readonly AdamW _policyOptimizer;
    private readonly AdamW _valueOptimizer;
    private readonly IAdvantageEstimator _estimator;
    private readonly ITextTokenizer _tokenizer;
    private readonly Rollout<TModel> _rollout;
    private readonly PpoUpdater _updater;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private readonly int _maxNewTokens;
    private bool _valueHeadsCalibrated;
    private int _consecutiveStationaryUpdates;
    private bool _stallWarned;

    /// <summary>Creates a trainer. The policy is trained in place; the reference is frozen.</summary>
    /// <param name="policy">Model to fine-tune (its trainable parameters are those with <c>requires_grad</c>).</param>
    /// <param name="reference">Frozen reference <c>π_ref</c> for the KL penalty, typically a second copy of the initial policy; must not be the same object.</param>
    /// <param name="tokenizer">Tokenizer of both models.</param>
    /// <param name="objectives">The <c>n ≥ 1</c> reward objectives.</param>
    /// <param name="options">Settings; validated here.</param>
    /// <exception cref="ArgumentException">An argument or a setting is invalid (the message names it).</exception>
    public PamaTrainer(TModel policy, TModel reference, ITextTokenizer tokenizer, IReadOnlyList<IRewardObjective> objectives, PamaTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(options);
        if (ReferenceEquals(policy, reference))
            throw new ArgumentException("The reference must be a separate (frozen) copy of the policy, not the policy itself.", nameof(reference));
        for (int i = 0; i < objectives.Count; i++)
            if (objectives[i] is null) throw new ArgumentException($"Objective {i} is null.", nameof(objectives));
        options.Validate(objectives.Count);

        _policy = policy;
        _objectives = [.. objectives];
        Options = options;
        ObjectiveNames = [.. _objectives.Select(o => o.Name)];
        Parameter first = policy.parameters().FirstOrDefault()
            ?? throw new ArgumentException("The policy has no parameters.", nameof(policy));
        _device = first.device;
        _dtype = first.dtype;
        Parameter[] trainable = [.. policy.parameters().Where(p => p.requires_grad)];
        if (trainable.Length == 0) throw new ArgumentException("The policy has no trainable parameters.", nameof(policy));

        foreach (Parameter p in reference.parameters()) p.requires_grad = false;
        reference.eval();
        policy.eval();

        // A CPU generator on purpose: TorchSharp's Generator(seed, device) always creates a native CPU generator but
        // reports the requested device, so on CUDA multinomial/randperm would receive a CPU generator for CUDA tensors
        // and fail. Sampling and shuffling copy to this generator's device (the CPU) and back.
        _generator = new Generator((ulong)options.Seed);
        _kl = new KlController(options.KlCoefficient, options.AdaptiveKl);
        ValueHeads = new ValueHeads(policy.HiddenSize, objectives.Count, _dtype, _device);

        _policyOptimizer = optim.AdamW(trainable, options.LearningRate, weight_decay: options.WeightDecay);
        _valueOptimizer = optim.AdamW(ValueHeads.parameters(), options.ValueLearningRate, weight_decay: options.WeightDecay);
        _estimator = options.AdvantageEstimator switch
        {
            AdvantageEstimator.Gae => new GeneralizedAdvantageEstimation(options.Gamma, options.Lambda),
            _ => new GroupRelativeAdvantages(options.SamplesPerPrompt),
        };
        IMultiObjectiveMethod method = options.Method switch
        {
            TrainingMethod.Pama => new PamaMethod(options.Granularity),
            TrainingMethod.Morlhf => new MorlhfMethod(options.PreferenceWeights ?? EqualWeights(objectives.Count)),
            _ => new MgdaUbMethod(),
        };
        _tokenizer = tokenizer;
        SamplingOptions sampling = options.Generation with { EosTokenId = options.Generation.EosTokenId ?? tokenizer.EndOfTextId };
        CheckAgainstModels(policy, reference, sampling);
        sampling.Validate(policy.VocabularySize);
        _maxNewTokens = sampling.MaxNewTokens;
        _rollout = new Rollout<TModel>(policy, reference, ValueHeads, tokenizer, sampling, options.SamplesPerPrompt, _generator, _device, _dtype);
        _updater = new PpoUpdater(policy, trainable, ValueHeads, _policyOptimizer, _valueOptimizer, method, options);
    }

    /// <summary>The settings the trainer was created with.</summary>
    public PamaTrainerOptions Options { get; }

    /// <summary>Names of the objectives, in order.</summary>
    public IReadOnlyList<string> ObjectiveNames { get; }

    /// <summary>The value heads (one per objective), on the policy's device; created at zero, biases set at the first step
    /// by <see cref="PamaTrainerOptions.ValueHeadInitialization"/>.</summary>
    public ValueHeads ValueHeads { get; }

    /// <summary>
    /// Raised once per trainer when PAMA has left the policy unchanged (<c>s* = 0</c>) for
    /// <see cref="PamaTrainerOptions.StallWarningUpdates"/> consecutive updates; the message names the objectives without
    /// positive advantages and what to try. Without a handler the message goes to <see cref="Trace.TraceWarning(string)"/>
    /// (the library never writes to the console itself).
    /// </summary>
    public event Action<string>? Warning;

    /// <summary>Number of completed steps.</summary>
    public long StepCount { get; private set; }

    /// <summary>The current KL coefficient β.</summary>
    public double KlCoefficient => _kl.Coefficient;

    /// <summary>
    /// Runs one training step on <paramref name="prompts"/> (each sampled
    /// <see cref="PamaTrainerOptions.SamplesPerPrompt"/> times).
    /// </summary>
    /// <exception cref="ArgumentException">No prompts, a prompt encodes to no tokens, or prompt plus response exceed the context length.</exception>
    /// <exception cref="InvalidRewardException">An objective returned a non-finite reward or the wrong count; no parameter changed.</exception>
    /// <exception cref="NonFiniteTrainingException">A loss or gradient was not finite; that update was refused.</exception>
    public StepMetrics Step(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var ids = new int[prompts.Count][];
        for (int p = 0; p < prompts.Count; p++)
        {
            string text = prompts[p] ?? throw new ArgumentException($"Prompt {p} is null.", nameof(prompts));
            ids[p] = [.. _tokenizer.Encode(text)];
        }
        return Step(prompts, ids);
    }

    /// <summary>Runs one training step on prompts given as token ids (decoded for text-based objectives).</summary>
    /// <inheritdoc cref="Step(IReadOnlyList{string})" path="/exception"/>
    public StepMetrics Step(IReadOnlyList<IReadOnlyList<int>> promptTokenIds)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        var ids = new int[promptTokenIds.Count][];
        var texts = new string[promptTokenIds.Count];
        for (int p = 0; p < promptTokenIds.Count; p++)
        {
            ids[p] = [.. promptTokenIds[p] ?? throw new ArgumentException($"Prompt {p} is null.", nameof(promptTokenIds))];
            texts[p] = _tokenizer.Decode(ids[p]);
        }
        return Step(texts, ids);
    }

    private StepMetrics Step(IReadOnlyList<string> prompts, int[][] promptIds)
    {
        if (promptIds.Length == 0) throw new ArgumentException("At least one prompt is required.", "prompts");
        for (int p = 0; p < promptIds.Length; p++)
        {
            if (promptIds[p].Length == 0) throw new ArgumentException($"Prompt {p} has no tokens.", "prompts");
            if (promptIds[p].Length + _maxNewTokens > _policy.ContextLength)
                throw new ArgumentException(
                    $"Prompt {p} has {promptIds[p].Length} tokens; with Generation.MaxNewTokens = {_maxNewTokens} that exceeds the model's " +
                    $"context length {_policy.ContextLength}. Shorten the prompt to at most {_policy.ContextLength - _maxNewTokens} tokens " +
                    "or lower PamaTrainerOptions.Generation.MaxNewTokens.", "prompts");
        }
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        _policy.eval();
        double beta = _kl.Coefficient;

        RolloutBatch rollout = _rollout.Run(prompts, promptIds);
        double[] rewards = RewardScoring.Score(_objectives, rollout.Texts);
        Tensor mask = rollout.Sequences.ResponseMask;
        Tensor rewardTensor = tensor(rewards, [rollout.Sequences.Count, _objectives.Count], _dtype, _device);
        var (tokenRewards, kl) = TokenRewards.Compute(rollout.OldLogProbs, rollout.ReferenceLogProbs, mask, rewardTensor, beta);
        Tensor? uncalibratedBias = null;
        if (!_valueHeadsCalibrated && Options.ValueHeadInitialization == ValueHeadInitialization.FirstBatchMeanReturn
            && Options.AdvantageEstimator == AdvantageEstimator.Gae)
            (rollout, uncalibratedBias) = ValueHeadCalibration.Apply(ValueHeads, rollout, tokenRewards, Options.Gamma, ObjectiveNames);
        var (advantages, returns) = _estimator.Estimate(tokenRewards, rollout.Values, mask);
        UpdateSummary summary;
        try
        {
            summary = _updater.Run(rollout, advantages, returns, _generator);
        }
        catch (NonFiniteTrainingException) when (uncalibratedBias is not null)
        {
            // The calibration is part of the first step: a refused step leaves the heads as they were (it runs again next step).
            ValueHeads.SetBias(uncalibratedBias);
            throw;
        }
        _valueHeadsCalibrated = true;
        IReadOnlyList<StationaryUpdate> stationary = [.. summary.Stationary.Select(s => new StationaryUpdate(
            s.Update, [.. s.WithoutPositiveAdvantage.Select(i => ObjectiveNames[i])], [.. s.Flat.Select(i => ObjectiveNames[i])]))];
        WarnIfStalled(stationary, summary.Updates);

        double meanKl = kl.sum(1).mean().to(ScalarType.Float64).item<double>();
        _kl.Update(meanKl, (int)rollout.Sequences.Count);
        StepCount++;
        return new StepMetrics(
            StepCount, MeanRewards(rewards), summary.Weights, summary.OptimalValue, summary.StationaryUpdates, summary.Updates,
            summary.PolicyUpdated, meanKl, beta, summary.ClipFraction, summary.PolicyLoss, summary.ValueLosses, rollout.Entropy,
            (long)mask.sum().to(ScalarType.Float64).item<double>(), clock.Elapsed.TotalSeconds, summary.WeightingSeconds)
        { StationaryDetails = stationary };
    }

    /// <summary>Counts consecutive stationary updates across steps and raises <see cref="Warning"/> once when they reach the threshold.</summary>
    private void WarnIfStalled(IReadOnlyList<StationaryUpdate> stationary, int updates)
    {
        var numbers = stationary.Select(s => s.Update).ToHashSet();
        for (int u = 1; u <= updates; u++)
            _consecutiveStationaryUpdates = numbers.Contains(u) ? _consecutiveStationaryUpdates + 1 : 0;
        if (_stallWarned || _consecutiveStationaryUpdates < Options.StallWarningUpdates || stationary.Count == 0) return;
        _stallWarned = true;
        string message =
            $"PAMA left the policy unchanged for {_consecutiveStationaryUpdates} consecutive updates (s* = 0; last: {stationary[^1].Cause}). " +
            "s* = 0 means some objective had no positive advantage on an unclipped token: every sampled response scored at or below " +
            "that objective's value estimate, so PAMA finds no direction that improves it without hurting it and does not step the policy. " +
            "Check that the objective's reward varies across responses (a constant or saturated reward gives no signal), keep the default " +
            "ValueHeadInitialization (FirstBatchMeanReturn) and a value learning rate that lets the heads follow the rewards, or rescale the " +
            "reward. StepMetrics.StationaryDetails lists each stationary update. This warning is given once.";
        if (Warning is { } handler) handler(message);
        else Trace.TraceWarning(message);
    }

    /// <summary>Checks the settings that depend on the models, so a mismatch fails here rather than at the first step.</summary>
    private static void CheckAgainstModels(TModel policy, TModel reference, SamplingOptions sampling)
    {
        if (sampling.MaxNewTokens >= policy.ContextLength)
            throw new ArgumentException(
                $"Generation.MaxNewTokens is {sampling.MaxNewTokens} but the model's context length is {policy.ContextLength}, which leaves no room " +
                $"for a prompt. Set PamaTrainerOptions.Generation.MaxNewTokens below {policy.ContextLength} (prompt tokens + MaxNewTokens must fit the context).",
                "Generation.MaxNewTokens");
        if (reference.VocabularySize != policy.VocabularySize || reference.ContextLength != policy.ContextLength)
            throw new ArgumentException(
                $"The reference model (vocabulary {reference.VocabularySize}, context {reference.ContextLength}) does not match the policy " +
                $"(vocabulary {policy.VocabularySize}, context {policy.ContextLength}); use a copy of the initial policy, e.g. policy.Clone().",
                nameof(reference));
    }

    /// <summary>
    /// Saves the policy, value heads, both optimizer states, step counter, KL coefficient and generator
    /// state to <paramref name="path"/>, atomically: the previous file survives any failure.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TrainerCheckpoint.Save(path, new TrainerCheckpoint.Header(_objectives.Count, Options.Method, StepCount, _kl.Coefficient), Parts());
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> of a trainer with the same model architecture,
    /// objective count and method; the next <see cref="Step(IReadOnlyList{string})"/> then equals the one the saving trainer would
    /// have taken. If the file is damaged half-way, the trainer's state is undefined: create a new trainer.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a trainer checkpoint or belongs to another configuration.</exception>
    public void Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TrainerCheckpoint.Header header = TrainerCheckpoint.Load(path, _objectives.Count, Options.Method, Parts());
        StepCount = header.StepCount;
        // Heads saved after a step have been calibrated and trained; a checkpoint of step 0 has not.
        _valueHeadsCalibrated = header.StepCount > 0;
        _kl.Coefficient = header.KlCoefficient;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _policyOptimizer.Dispose();
        _valueOptimizer.Dispose();
        ValueHeads.Dispose();
        _generator.Dispose();
    }

    private TrainerCheckpoint.Parts Parts() => new(_policy, ValueHeads, _policyOptimizer, _valueOptimizer, _generator);

    private double[] MeanRewards(double[] rewards)
    {
        int n = _objectives.Count, count = rewards.Length / n;
        var means = new double[n];
        for (int b = 0; b < count; b++)
            for (int i = 0; i < n; i++) means[i] += rewards[b * n + i] / count;
        return means;
    }

    private static double[] EqualWeights(int n) => [.. Enumerable.Repeat(1.0 / n, n)];
}
