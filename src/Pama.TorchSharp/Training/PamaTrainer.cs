using Pama.TorchSharp.Tensors;
using System.Diagnostics;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Checkpoints;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Ppo;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Multi-objective RLHF of a causal language model with PAMA (He and Maghsudi, "Pareto Multi-Objective
/// Alignment for Language Models", ECML-PKDD 2025, arXiv 2508.07768), or the MORLHF and MGDA-UB
/// baselines. Drive it from your own loop: one <see cref="Step(IReadOnlyList{string})"/> per batch of prompts, or
/// <see cref="Step(RolloutBatch, Tensor)"/> on responses and rewards you bring (TRL's <c>step(queries, responses, scores)</c>).
/// </summary>
/// <remarks>
/// One step: sample → score with the <c>n</c> objectives → per-token rewards with the KL penalty → per-objective advantages
/// → the method (<see cref="PamaTrainerOptions.Method"/>) forms ONE advantage → clipped surrogate plus value losses → ONE
/// backward → optimizer steps. What each stage does, the stationary rules, dropout and devices: docs/trainer.md.
/// </remarks>
/// <typeparam name="TModel">The causal language model type (e.g. <see cref="Gpt2Model"/>).</typeparam>
public sealed class PamaTrainer<TModel> : IDisposable where TModel : nn.Module, ICausalLanguageModel
{
    private readonly TModel _policy;
    private readonly IReadOnlyList<IRewardObjective> _objectives;
    private readonly KlController _kl;
    private readonly Generator _generator;
    private readonly OptimizerHelper _policyOptimizer;
    private readonly OptimizerHelper _valueOptimizer;
    private readonly IAdvantageEstimator _estimator;
    private readonly ITextTokenizer _tokenizer;
    private readonly RolloutSampler<TModel> _sampler;
    private readonly PpoUpdater _updater;
    private readonly CombineStage _stage;
    private readonly Device _device;
    private readonly ScalarType _dtype;
    private readonly int _maxNewTokens;
    private bool _valueHeadsCalibrated;
    private int _consecutiveStationaryUpdates;
    private bool _stallWarned;
    private readonly LoraAdapter? _adapter;
    private bool _ranksVerified;

    /// <summary>Creates a trainer. The policy is trained in place; the reference is frozen.</summary>
    /// <param name="policy">Model to fine-tune (its trainable parameters are those with <c>requires_grad</c>).</param>
    /// <param name="reference">Frozen reference <c>π_ref</c> for the KL penalty, typically a second copy of the initial policy; must not be the same object.</param>
    /// <param name="tokenizer">Tokenizer of both models.</param>
    /// <param name="objectives">The <c>n ≥ 1</c> reward objectives.</param>
    /// <param name="options">Settings; validated here.</param>
    /// <exception cref="ArgumentException">An argument or a setting is invalid (the message names it).</exception>
    public PamaTrainer(TModel policy, TModel reference, ITextTokenizer tokenizer, IReadOnlyList<IRewardObjective> objectives, PamaTrainerOptions options)
        : this(policy, reference ?? throw new ArgumentNullException(nameof(reference)), null, tokenizer, objectives, options)
    {
    }

    /// <summary>
    /// Creates a trainer that trains <paramref name="adapter"/> inside <paramref name="policy"/> and takes as reference the same
    /// module with the adapter disabled (<see cref="LoraAdapter.Disable"/>): no second copy of the model. Only the adapter (and the
    /// value heads) are trained, and checkpoints hold the adapter, not the frozen base.
    /// </summary>
    /// <param name="policy">Model carrying <paramref name="adapter"/>; its base parameters stay frozen.</param>
    /// <param name="adapter">The LoRA adapter applied to or loaded into <paramref name="policy"/> (not merged).</param>
    /// <param name="tokenizer">Tokenizer of the model.</param>
    /// <param name="objectives">The <c>n ≥ 1</c> reward objectives.</param>
    /// <param name="options">Settings; validated here.</param>
    /// <exception cref="ArgumentException">An argument or a setting is invalid, or the adapter does not belong to the policy (the message names it).</exception>
    public PamaTrainer(TModel policy, LoraAdapter adapter, ITextTokenizer tokenizer, IReadOnlyList<IRewardObjective> objectives, PamaTrainerOptions options)
        : this(policy, policy, adapter ?? throw new ArgumentNullException(nameof(adapter)), tokenizer, objectives, options)
    {
    }

    private PamaTrainer(TModel policy, TModel reference, LoraAdapter? adapter, ITextTokenizer tokenizer, IReadOnlyList<IRewardObjective> objectives, PamaTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(options);
        if (adapter is null && ReferenceEquals(policy, reference))
            throw new ArgumentException("The reference must be a separate (frozen) copy of the policy, not the policy itself.", nameof(reference));
        if (adapter is not null && (!ReferenceEquals(adapter.Model, policy) || adapter.IsMerged))
            throw new ArgumentException("The adapter must be an unmerged LoRA adapter of this policy.", nameof(adapter));
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
        Parameter[] trainable = [.. policy.parameters().Where(p => p.requires_grad)];
        if (trainable.Length == 0) throw new ArgumentException("The policy has no trainable parameters.", nameof(policy));
        // Rewards, advantages, log-probabilities and value heads are at least float32: a bf16 / fp16 base keeps its weights
        // in half precision, but PPO's ratios and the value heads would lose too much in it.
        _dtype = trainable[0].dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : trainable[0].dtype;
        _adapter = adapter;

        if (adapter is null)
            foreach (Parameter p in reference.parameters()) p.requires_grad = false;
        reference.eval();
        policy.eval();
        if (options.ActivationCheckpointing) policy.ActivationCheckpointing = true;

        // A CPU generator on purpose: TorchSharp's Generator(seed, device) always creates a native CPU generator but
        // reports the requested device, so on CUDA multinomial/randperm would receive a CPU generator for CUDA tensors
        // and fail. Sampling draws its uniforms here and moves them to the device; shuffling likewise.
        _generator = new Generator((ulong)options.Seed);
        _kl = new KlController(options.KlCoefficient, options.AdaptiveKl);
        ValueHeads = new ValueHeads(policy.HiddenSize, objectives.Count, _dtype, _device);

        _policyOptimizer = CreateOptimizer(options.PolicyOptimizer, trainable, options.LearningRate, options.WeightDecay, "policy");
        _valueOptimizer = CreateOptimizer(options.ValueOptimizer, [.. ValueHeads.parameters()], options.ValueLearningRate, options.WeightDecay, "value-head");
        _estimator = options.AdvantageEstimator;
        _tokenizer = tokenizer;
        if (tokenizer.VocabularySize > policy.VocabularySize)
            throw new ArgumentException(
                $"The tokenizer ({tokenizer.GetType().Name}) has {tokenizer.VocabularySize} token ids but the policy's vocabulary has {policy.VocabularySize}: " +
                "the tokenizer does not belong to this model. Load the tokenizer of the model's own folder, AutoTokenizer.FromPretrained(modelDirectory).", nameof(tokenizer));
        SamplingOptions sampling = options.Generation with { EosTokenId = options.Generation.EosTokenId ?? tokenizer.EndOfTextId };
        CheckAgainstModels(policy, reference, sampling);
        sampling.Validate(policy.VocabularySize);
        _maxNewTokens = sampling.MaxNewTokens;
        _sampler = new RolloutSampler<TModel>(policy, reference, adapter, ValueHeads, tokenizer, sampling, options.SamplesPerPrompt, _generator, _device, _dtype,
            options.ScoringMicroBatch);
        _stage = new CombineStage(options.Method, objectives.Count, ObjectiveNames,
            policy.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)));
        _updater = new PpoUpdater(policy, trainable, ValueHeads, _policyOptimizer, _valueOptimizer, _stage, options);
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
    /// <see cref="PamaTrainerOptions.SamplesPerPrompt"/> times): <see cref="Generate(IReadOnlyList{string})"/>,
    /// <see cref="Score"/>, then <see cref="Step(RolloutBatch, Tensor)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No prompts, a prompt encodes to no tokens, or prompt plus response exceed the context length.</exception>
    /// <exception cref="InvalidRewardException">An objective threw (the original is the inner exception), or returned a non-finite reward or the wrong count; no parameter changed.</exception>
    /// <exception cref="InvalidOperationException">In a data-parallel run, the ranks hold different states before their first collective (one resumed, another did not); the message names what differs.</exception>
    /// <exception cref="NonFiniteTrainingException">A loss or gradient was not finite; that update was refused.</exception>
    public StepMetrics Step(IReadOnlyList<string> prompts)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        RolloutBatch rollout = Generate(prompts);
        return Update(rollout, Score(rollout), clock);
    }

    /// <summary>Runs one training step on prompts given as token ids (decoded for text-based objectives).</summary>
    /// <inheritdoc cref="Step(IReadOnlyList{string})" path="/exception"/>
    public StepMetrics Step(IReadOnlyList<IReadOnlyList<int>> promptTokenIds)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        RolloutBatch rollout = Generate(promptTokenIds);
        return Update(rollout, Score(rollout), clock);
    }

    /// <summary>
    /// Runs one training step on a rollout and its rewards: per-token rewards with the KL penalty, per-objective advantages,
    /// then <see cref="PamaTrainerOptions.PpoEpochs"/> × <see cref="PamaTrainerOptions.MiniBatches"/> updates with the
    /// method's one advantage, then the KL controller. Use it to train on responses produced elsewhere
    /// (<see cref="FromResponses"/>) or scored elsewhere (TRL's <c>step(queries, responses, scores)</c>).
    /// </summary>
    /// <param name="rollout">A rollout of this trainer (<see cref="Generate(IReadOnlyList{string})"/> or <see cref="FromResponses"/>), not yet stepped on.</param>
    /// <param name="rewards">Reward of every objective for every response, <c>[B, n]</c>, finite (any floating type and device).</param>
    /// <exception cref="ArgumentException">The rewards' shape does not match the rollout and the objectives, or the rollout has fewer responses than minibatches.</exception>
    /// <exception cref="InvalidRewardException">A reward is not finite (the message names the objective and the sample); no parameter changed.</exception>
    /// <exception cref="InvalidOperationException">In a data-parallel run, the ranks hold different states before their first collective (one resumed, another did not); the message names what differs.</exception>
    /// <exception cref="NonFiniteTrainingException">A loss or gradient was not finite; that update was refused.</exception>
    public StepMetrics Step(RolloutBatch rollout, Tensor rewards)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        return Update(rollout, rewards, clock);
    }

    /// <summary>
    /// Samples responses to <paramref name="prompts"/> (each <see cref="PamaTrainerOptions.SamplesPerPrompt"/> times, a prompt's
    /// samples in consecutive rows) with the trainer's generator and scores them without gradients. Dispose the result (or
    /// create it inside a dispose scope) when done.
    /// </summary>
    /// <exception cref="ArgumentException">No prompts, a prompt encodes to no tokens, or prompt plus response exceed the context length.</exception>
    public RolloutBatch Generate(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var ids = new int[prompts.Count][];
        for (int p = 0; p < prompts.Count; p++)
        {
            string text = prompts[p] ?? throw new ArgumentException($"Prompt {p} is null.", nameof(prompts));
            ids[p] = [.. _tokenizer.Encode(text)];
        }
        CheckPrompts(ids, nameof(prompts));
        CheckRoomForResponses(ids, nameof(prompts));
        _policy.eval();
        return _sampler.Sample(prompts, ids, RankSlice(ids.Length));
    }

    /// <summary>Samples responses to prompts given as token ids (decoded for text-based objectives).</summary>
    /// <inheritdoc cref="Generate(IReadOnlyList{string})" path="/exception"/>
    public RolloutBatch Generate(IReadOnlyList<IReadOnlyList<int>> promptTokenIds)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        int[][] ids = Copy(promptTokenIds, "Prompt", nameof(promptTokenIds));
        CheckPrompts(ids, nameof(promptTokenIds));
        CheckRoomForResponses(ids, nameof(promptTokenIds));
        _policy.eval();
        return _sampler.Sample([.. ids.Select(_tokenizer.Decode)], ids, RankSlice(ids.Length));
    }

    /// <summary>
    /// Builds a rollout from responses produced elsewhere (another sampler, a dataset, a human): row <c>b</c> is prompt
    /// <c>b</c> followed by response <c>b</c>, scored by the policy, the reference and the value heads without gradients, as
    /// if the policy had sampled it. A response ends at its first end-of-text token, if any (kept as its last token, as in
    /// sampling). Dispose the result (or create it inside a dispose scope) when done. With
    /// <see cref="GroupRelativeAdvantages"/>, rows must come in groups of <see cref="PamaTrainerOptions.SamplesPerPrompt"/>
    /// responses to one prompt.
    /// </summary>
    /// <param name="promptTokenIds">Prompt token ids, one non-empty list per row.</param>
    /// <param name="responseTokenIds">Response token ids, one non-empty list per row, each id below the vocabulary size.</param>
    /// <exception cref="ArgumentException">The counts differ, a prompt or response is empty, an id is out of range, or prompt plus response exceed the context length (the message names the row).</exception>
    public RolloutBatch FromResponses(IReadOnlyList<IReadOnlyList<int>> promptTokenIds, IReadOnlyList<IReadOnlyList<int>> responseTokenIds)
    {
        ArgumentNullException.ThrowIfNull(promptTokenIds);
        ArgumentNullException.ThrowIfNull(responseTokenIds);
        if (promptTokenIds.Count != responseTokenIds.Count)
            throw new ArgumentException($"{promptTokenIds.Count} prompts but {responseTokenIds.Count} responses.", nameof(responseTokenIds));
        int[][] prompts = Copy(promptTokenIds, "Prompt", nameof(promptTokenIds));
        int[][] responses = Copy(responseTokenIds, "Response", nameof(responseTokenIds));
        CheckPrompts(prompts, nameof(promptTokenIds));
        int end = _sampler.EndOfTextId;
        for (int b = 0; b < responses.Length; b++)
        {
            if (responses[b].Length == 0) throw new ArgumentException($"Response {b} has no tokens.", nameof(responseTokenIds));
            int stop = Array.IndexOf(responses[b], end);
            if (stop >= 0) responses[b] = responses[b][..(stop + 1)];
            foreach (int id in responses[b])
                if (id < 0 || id >= _policy.VocabularySize)
                    throw new ArgumentException($"Response {b} has token id {id}, outside the vocabulary [0, {_policy.VocabularySize}).", nameof(responseTokenIds));
            if (prompts[b].Length + responses[b].Length > _policy.ContextLength)
                throw new ArgumentException(
                    $"Row {b}: prompt ({prompts[b].Length}) plus response ({responses[b].Length}) tokens exceed the context length {_policy.ContextLength}.", nameof(responseTokenIds));
        }
        _policy.eval();
        return _sampler.FromResponses([.. prompts.Select(_tokenizer.Decode)], prompts, responses);
    }

    /// <summary>
    /// Scores every response of <paramref name="rollout"/> with every objective and validates the result.
    /// </summary>
    /// <returns>Rewards <c>[B, n]</c> in the policy's floating type, on its device.</returns>
    /// <exception cref="InvalidRewardException">An objective threw (the original is the inner exception), or returned a non-finite reward or the wrong count.</exception>
    public Tensor Score(RolloutBatch rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        double[] rewards = RewardScoring.Score(_objectives, rollout.Texts);
        return tensor(rewards, [rollout.Count, _objectives.Count], _dtype, _device);
    }

    /// <summary>The stages of one step after the rollout, top to bottom, inside the caller's dispose scope.</summary>
    private StepMetrics Update(RolloutBatch rollout, Tensor rewards, Stopwatch clock)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        VerifyRanksAgree();
        Tensor checkedRewards = CheckRewards(rollout, rewards);
        _updater.CheckSplit(rollout.Count, rollout.Sequences.SequenceIds.shape[1]);
        _policy.eval();
        double beta = _kl.Coefficient;
        Options.LearningRateSchedule.Apply(_policyOptimizer, StepCount);
        Options.LearningRateSchedule.Apply(_valueOptimizer, StepCount);

        Tensor mask = rollout.Sequences.ResponseMask;
        var (tokenRewards, kl) = TokenRewards.Compute(rollout.OldLogProbs, rollout.ReferenceLogProbs, mask, checkedRewards, beta);
        Tensor? uncalibratedBias = null;
        if (!_valueHeadsCalibrated && Options.ValueHeadInitialization == ValueHeadInitialization.FirstBatchMeanReturn
            && _estimator.UsesValueHeads)
            (rollout, uncalibratedBias) = ValueHeadCalibration.Apply(ValueHeads, rollout, tokenRewards, _estimator.Discount, ObjectiveNames, Options.ProcessGroup);
        var (advantages, returns) = _estimator.Estimate(tokenRewards, rollout.Values, mask);

        // What the step reports, the KL controller and the method see are over the whole batch (all ranks of a data-parallel run):
        // one host copy and one sum of [Σ rewards (n), Σ response KL, response tokens, Σ entropy × tokens, rows].
        int n = _objectives.Count;
        double[] local = HostReads.Doubles(cat([
            checkedRewards.to(ScalarType.Float64).sum([0]),
            kl.sum().to(ScalarType.Float64).reshape(1),
            mask.sum().to(ScalarType.Float64).reshape(1)]));
        double[] sums = Options.ProcessGroup.Sum([.. local, rollout.Entropy * local[n + 1], rollout.Count]);
        double rows = sums[n + 3];
        double meanKl = sums[n] / rows;
        double[] meanRewards = [.. sums[..n].Select(v => v / rows)];

        // The method's step: a stateful weighting observes the batch's rewards once (undone if the step is refused); then the
        // advantages are prepared (normalised, whitened) over the whole batch as the method needs. Returns stay those of the
        // unwhitened advantages (TRL).
        double[]? methodState = MethodState.Snapshot(_stage.Weighting);
        UpdateSummary summary;
        try
        {
            for (int i = 0; i < n; i++)
                if (!double.IsFinite(meanRewards[i]))
                    throw new NonFiniteTrainingException(
                        $"The mean reward of objective {i} ('{ObjectiveNames[i]}') over the batch is {meanRewards[i]} (the rewards' sum overflowed); the step was refused and no parameter changed.");
            _stage.BeginStep(meanRewards);
            MethodState.CheckIdenticalOnEveryRank(_stage.Weighting, Options.ProcessGroup, Options.Method.Name);
            advantages = _stage.PrepareStep(advantages, mask, Options.AdvantageWhitening, Options.ProcessGroup);
            summary = _updater.Run(rollout, advantages, returns, _generator);
        }
        catch (NonFiniteTrainingException)
        {
            // A refused step changes nothing: the calibration (part of the first step) runs again next step, the method's state
            // is as before the step.
            if (uncalibratedBias is not null) ValueHeads.SetBias(uncalibratedBias);
            MethodState.Restore(_stage.Weighting, methodState);
            throw;
        }
        _valueHeadsCalibrated = true;
        IReadOnlyList<StationaryUpdate> stationary = [.. summary.Stationary.Select(s => new StationaryUpdate(
            s.Update, [.. s.WithoutPositiveAdvantage.Select(i => ObjectiveNames[i])], [.. s.Flat.Select(i => ObjectiveNames[i])]) { Reason = s.Cause })];
        WarnIfStalled(stationary, summary.Updates);
        _kl.Update(meanKl, (int)rows);

        StepCount++;
        return new StepMetrics(
            StepCount, meanRewards, summary.Weights, summary.OptimalValue, summary.StationaryUpdates, summary.Updates,
            summary.PolicyUpdated, meanKl, beta, summary.ClipFraction, summary.PolicyLoss, summary.ValueLosses, sums[n + 2] / Math.Max(sums[n + 1], 1),
            (long)sums[n + 1], clock.Elapsed.TotalSeconds, summary.WeightingSeconds)
        { StationaryDetails = stationary, Statistics = summary.Statistics };
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
            $"{Options.Method.Name} left the policy unchanged for {_consecutiveStationaryUpdates} consecutive updates (last: {stationary[^1].Cause}). " +
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

    /// <summary>Every prompt must leave <see cref="SamplingOptions.MaxNewTokens"/> positions of the context for its response, and
    /// the scoring's token budget must hold the widest row the sampled batch can have (checked before anything is drawn).</summary>
    private void CheckRoomForResponses(int[][] promptIds, string parameter)
    {
        _ = Options.ScoringMicroBatch?.RowsFor(promptIds.Max(p => p.Length) + _maxNewTokens, nameof(PamaTrainerOptions.ScoringMicroBatch));
        for (int p = 0; p < promptIds.Length; p++)
            if (promptIds[p].Length + _maxNewTokens > _policy.ContextLength)
                throw new ArgumentException(
                    $"Prompt {p} has {promptIds[p].Length} tokens; with Generation.MaxNewTokens = {_maxNewTokens} that exceeds the model's " +
                    $"context length {_policy.ContextLength}. Shorten the prompt to at most {_policy.ContextLength - _maxNewTokens} tokens " +
                    "or lower PamaTrainerOptions.Generation.MaxNewTokens.", parameter);
    }

    /// <summary>The rewards as <c>[B, n]</c> in the policy's type and device, after checking shape and finiteness.</summary>
    private Tensor CheckRewards(RolloutBatch rollout, Tensor rewards)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        int n = _objectives.Count;
        if (rollout.Values.shape[^1] != n)
            throw new ArgumentException($"The rollout has {rollout.Values.shape[^1]} value heads but the trainer has {n} objectives; use a rollout of this trainer.", nameof(rollout));
        if (rewards.dim() != 2 || rewards.shape[0] != rollout.Count || rewards.shape[1] != n)
            throw new ArgumentException(
                $"Rewards must be [{rollout.Count}, {n}] (responses × objectives), got [{string.Join(", ", rewards.shape)}].", nameof(rewards));
        double[] host = HostReads.Doubles(rewards);
        for (int k = 0; k < host.Length; k++)
            if (!double.IsFinite(host[k]))
            {
                int b = k / n, i = k % n;
                throw new InvalidRewardException(i, _objectives[i].Name, b,
                    $"The reward of objective {i} ('{_objectives[i].Name}') for sample {b} is {host[k]}; rewards must be finite.");
            }
        return rewards.to(_dtype, _device);
    }

    /// <summary>
    /// In a data-parallel run, where this rank's sampled rows sit in the batch of all ranks (in rank order), so that sampling
    /// draws the whole batch's randomness and every rank's generator stays in step; <c>null</c> in one process.
    /// </summary>
    private BatchSlice? RankSlice(int promptCount)
    {
        IProcessGroup group = Options.ProcessGroup;
        if (group.Size == 1) return null;
        VerifyRanksAgree();
        long[] rows = group.Gather((long)promptCount * Options.SamplesPerPrompt);
        return new BatchSlice(rows.Take(group.Rank).Sum(), rows.Sum());
    }

    private static int[][] Copy(IReadOnlyList<IReadOnlyList<int>> lists, string what, string parameter)
    {
        var copy = new int[lists.Count][];
        for (int b = 0; b < lists.Count; b++)
            copy[b] = [.. lists[b] ?? throw new ArgumentException($"{what} {b} is null.", parameter)];
        return copy;
    }

    private static void CheckPrompts(int[][] promptIds, string parameter)
    {
        if (promptIds.Length == 0) throw new ArgumentException("At least one prompt is required.", parameter);
        for (int p = 0; p < promptIds.Length; p++)
            if (promptIds[p].Length == 0) throw new ArgumentException($"Prompt {p} has no tokens.", parameter);
    }

    /// <summary>
    /// Writes the policy as a Hugging Face checkpoint folder (<c>config.json</c>, safetensors weights) together with the
    /// tokenizer's files (<see cref="ITextTokenizer.SavePretrained"/>: <c>tokenizer.json</c>, <c>tokenizer.model</c>,
    /// <c>vocab.txt</c> or <c>vocab.json</c> + <c>merges.txt</c>), so the folder reloads as a whole with
    /// <c>FromPretrained</c> / <see cref="AutoTokenizer.FromPretrained"/> or with transformers. This is the trained model for
    /// use; <see cref="Save"/> is the trainer's own checkpoint for resuming.
    /// </summary>
    /// <exception cref="NotSupportedException">The policy is not a <see cref="CausalLanguageModel"/>, or the tokenizer cannot be
    /// written (e.g. the packaged default GPT-2 tokenizer; the message says what to do).</exception>
    public void SavePretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (_policy is not CausalLanguageModel model)
            throw new NotSupportedException($"{typeof(TModel).Name} is not a CausalLanguageModel; save it with its own method.");
        _tokenizer.SavePretrained(directory);   // first: a tokenizer without files throws, saying what to do, before the weights are written
        model.SavePretrained(directory);
    }

    /// <summary>
    /// Saves the policy, value heads, both optimizer states, step counter, KL coefficient, generator state, method
    /// (name and, for a stateful weighting, its state) and objective names to <paramref name="path"/>, with a checksum, atomically: the previous file survives any failure.
    /// </summary>
    /// <remarks>In a data-parallel run every rank holds the same state, so only rank 0 writes; on other ranks this does nothing.</remarks>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Options.ProcessGroup.Rank != 0) return;
        TrainerCheckpoint.Save(path, CurrentHeader(), Parts());
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> of a trainer with the same model architecture, method
    /// (<see cref="Methods.IMultiObjectiveMethod.Name"/>), objectives (names, in order) and optimizer types; the learning-rate
    /// schedule resumes from the restored step count. The next <see cref="Step(IReadOnlyList{string})"/> then equals the one
    /// the saving trainer would have taken. The whole file is verified (checksum, sizes, tensor names, types and shapes)
    /// before any state changes: if loading fails, this trainer is exactly as it was.
    /// </summary>
    /// <remarks>In a data-parallel run call it on every rank with rank 0's file (the only one <see cref="Save"/> writes). Before
    /// its next collective the trainer checks that all ranks hold the same state, and throws naming what differs if not.</remarks>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a trainer checkpoint, is truncated or damaged, or belongs to
    /// another configuration; the message names the file.</exception>
    public void Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        TrainerCheckpoint.Header header = TrainerCheckpoint.Load(path, CurrentHeader(), Parts());
        StepCount = header.StepCount;
        _kl.Coefficient = header.KlCoefficient;
        // Heads saved after a step have been calibrated and trained; a checkpoint of step 0 has not.
        _valueHeadsCalibrated = header.StepCount > 0;
        _ranksVerified = false;
    }

    /// <summary>
    /// Before the first collective of a data-parallel run (and again after <see cref="Load"/>), checks that every rank holds
    /// the same state: step counter, method, objectives, KL coefficient and a checksum of the trained parameters, value heads
    /// and generator. Ranks that disagree would otherwise call different collectives and fail far from the cause.
    /// </summary>
    private void VerifyRanksAgree()
    {
        if (_ranksVerified || Options.ProcessGroup.Size == 1) return;
        using Tensor generatorState = _generator.get_state();
        nn.Module trained = _adapter?.ParameterModule() ?? _policy;
        string objectives = string.Join(", ", ObjectiveNames);
        RankAgreement.Verify(Options.ProcessGroup,
        [
            new("step counter", StepCount, $"step {StepCount}"),
            new("method", RankAgreement.Hash(Options.Method.Name), $"method '{Options.Method.Name}'"),
            new("objectives", RankAgreement.Hash(objectives), $"objectives ({objectives})"),
            new("KL coefficient", _kl.Coefficient, $"KL coefficient {_kl.Coefficient}"),
            new("checksum of the parameters and generator state", RankAgreement.Checksum([.. trained.parameters(), .. ValueHeads.parameters(), generatorState]),
                "parameters as they are after construction or Load"),
        ]);
        _ranksVerified = true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _policyOptimizer.Dispose();
        _valueOptimizer.Dispose();
        ValueHeads.Dispose();
        _generator.Dispose();
    }

    private TrainerCheckpoint.Header CurrentHeader() => new(Options.Method.Name, ObjectiveNames, StepCount, _kl.Coefficient);

    // With an adapter the checkpoint holds the adapter's matrices, not the frozen base (the caller rebuilds the base from its files).
    private TrainerCheckpoint.Parts Parts() =>
        new(_adapter?.ParameterModule() ?? (nn.Module)_policy, ValueHeads, _policyOptimizer, _valueOptimizer, _generator, _stage.Weighting);

    private static OptimizerHelper CreateOptimizer(OptimizerFactory? factory, IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay, string group)
    {
        if (factory is null) return new Optimizers.AdamW(parameters, learningRate, weight_decay: weightDecay);
        return factory(parameters, learningRate) ?? throw new ArgumentException($"The {group} optimizer factory returned null.", "options");
    }
}
