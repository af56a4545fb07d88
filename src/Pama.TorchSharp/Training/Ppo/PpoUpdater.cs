using System.Diagnostics;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Rollout;

namespace Pama.TorchSharp.Training.Ppo;

/// <summary>
/// The PPO epochs of one step: for every minibatch, forward the policy, let the method form the one
/// advantage, build the loss (clipped surrogate + value losses), ONE backward, guard and clip the
/// gradients, step the optimizers. The policy optimizer is skipped when the combine stage decides that the
/// advantage cannot move the policy (<see cref="CombineStage"/>'s stationary rules), so weight decay and momentum leave it untouched.
/// </summary>
internal sealed class PpoUpdater(
    ICausalLanguageModel policy,
    IReadOnlyList<Parameter> policyParameters,
    ValueHeads valueHeads,
    OptimizerHelper policyOptimizer,
    OptimizerHelper valueOptimizer,
    CombineStage stage,
    PamaTrainerOptions options)
{
    private readonly IReadOnlyList<Parameter> _valueParameters = [.. valueHeads.parameters()];
    private readonly IProcessGroup _group = options.ProcessGroup;

    /// <summary>This rank's share <c>N_rank / N_all</c> of the minibatch's response tokens (1, with no host copy, in one process).</summary>
    private double TokenShare(Tensor mask)
    {
        if (_group.Size == 1) return 1.0;
        double local = HostReads.Double(mask.sum());
        double all = _group.Sum(local)[0];
        return all > 0 ? local / all : 0.0;
    }

    /// <summary>A token mean scaled to its term of the mean over all ranks' tokens (unchanged for the whole minibatch in one process).</summary>
    private static Tensor Share(Tensor mean, double share) => share == 1.0 ? mean : mean.Times(share);

    /// <summary>Runs all updates of one step.</summary>
    /// <param name="rollout">The step's rollout.</param>
    /// <param name="advantages">Per-objective advantages <c>[B, T, n]</c>.</param>
    /// <param name="returns">Value targets <c>[B, T, n]</c>, or <c>null</c> when the value heads are not trained.</param>
    /// <param name="generator">The trainer's generator, for shuffling.</param>
    public UpdateSummary Run(RolloutBatch rollout, Tensor advantages, Tensor? returns, Generator generator)
    {
        int n = (int)advantages.shape[2];
        long rows = rollout.Sequences.Count;
        // Data parallelism: this rank holds rows [offset, offset + rows) of the step's whole batch.
        long[] rankRows = _group.Gather(rows);
        long allRows = rankRows.Sum();
        long offset = rankRows.Take(_group.Rank).Sum();

        var weightSum = new double[n];
        var statisticSum = new double[n];
        bool hasStatistics = false;
        var valueLossSum = new double[n];
        double optimalValueSum = 0, clipFractionSum = 0, policyLossSum = 0, weightingSeconds = 0;
        int updates = 0, stationary = 0;
        var stationaryDetails = new List<(int, int[], int[], string)>();
        bool policyUpdated = false;
        for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
        {
            using var epochScope = NewDisposeScope();
            // Every rank draws the same permutation of the whole batch and keeps its own rows of each minibatch, in order:
            // the minibatches are those of one process holding the whole batch, and the generators stay in step.
            Tensor order = randperm(allRows, generator: generator, device: generator.device);
            foreach (Tensor minibatch in order.tensor_split(options.MiniBatches))
            {
                using var scope = NewDisposeScope();
                Tensor local = _group.Size == 1 ? minibatch : minibatch.masked_select(minibatch.Ge(offset).logical_and(minibatch.Lt(offset + rows))).Minus(offset);
                var result = UpdateMinibatch(rollout, advantages, returns, local.to(advantages.device));
                updates++;
                for (int i = 0; i < n; i++) weightSum[i] += result.Combined.Weights[i];
                if (result.Combined.Statistics is { } statistics)
                {
                    hasStatistics = true;
                    for (int i = 0; i < n; i++) statisticSum[i] += statistics[i];
                }
                optimalValueSum += result.Combined.OptimalValue;
                if (!result.Combined.UpdatesPolicy)
                {
                    stationary++;
                    stationaryDetails.Add((updates, [.. result.Combined.WithoutPositiveAdvantage ?? []], [.. result.Combined.Flat ?? []],
                        result.Combined.StationaryCause ?? "the policy could not move"));
                }
                policyUpdated |= result.Combined.UpdatesPolicy;
                clipFractionSum += result.ClipFraction;
                weightingSeconds += result.WeightingSeconds;
                policyLossSum += result.PolicyLoss;
                for (int i = 0; i < result.ValueLosses.Length; i++) valueLossSum[i] += result.ValueLosses[i];
            }
        }
        return new UpdateSummary(
            [.. weightSum.Select(w => w / updates)], optimalValueSum / updates, stationary, updates, policyUpdated,
            clipFractionSum / updates, policyLossSum / updates,
            returns is null ? [] : [.. valueLossSum.Select(v => v / updates)], weightingSeconds, stationaryDetails,
            hasStatistics ? [.. statisticSum.Select(v => v / updates)] : [.. Enumerable.Repeat(double.NaN, n)]);
    }

    /// <summary>
    /// Checks, before anything of the step changes, that its minibatches and micro-batches can be formed for a rollout of
    /// <paramref name="rows"/> rows on this rank and sequences of <paramref name="width"/> positions.
    /// </summary>
    /// <exception cref="ArgumentException">More minibatches than responses, a micro-batch larger than the largest minibatch, or a
    /// token budget smaller than one row (the message names the option).</exception>
    public void CheckSplit(long rows, long width)
    {
        long allRows = _group.Gather(rows).Sum();
        if (options.MiniBatches > allRows)
            throw new ArgumentException($"{nameof(PamaTrainerOptions.MiniBatches)} is {options.MiniBatches} but the step has only {allRows} responses.", nameof(PamaTrainerOptions.MiniBatches));
        if (options.UpdateMicroBatch is not { } micro) return;
        _ = micro.RowsFor(width, nameof(PamaTrainerOptions.UpdateMicroBatch));
        long largest = (allRows + options.MiniBatches - 1) / options.MiniBatches;
        if (micro.MaxRows is { } limit && limit > largest)
            throw new ArgumentException(
                $"{nameof(PamaTrainerOptions.UpdateMicroBatch)} is {limit} rows but the largest minibatch has {largest} ({allRows} responses in " +
                $"{options.MiniBatches} minibatches); use at most {largest} rows, or null for one pass per minibatch.", nameof(PamaTrainerOptions.UpdateMicroBatch));
    }

    private (CombinedAdvantage Combined, double PolicyLoss, double[] ValueLosses, double ClipFraction, double WeightingSeconds) UpdateMinibatch(
        RolloutBatch rollout, Tensor advantages, Tensor? returns, Tensor rows)
    {
        RolloutSequences sequences = rollout.Sequences.Select(rows);
        Tensor mask = sequences.ResponseMask;
        Tensor oldLogProbs = rollout.OldLogProbs.index_select(0, rows);
        Tensor minibatchAdvantages = advantages.index_select(0, rows);
        Tensor? oldValues = returns is null ? null : rollout.Values.index_select(0, rows);
        Tensor? minibatchReturns = returns?.index_select(0, rows);
        long? rowsPerPass = options.UpdateMicroBatch?.RowsFor(sequences.SequenceIds.shape[1], nameof(PamaTrainerOptions.UpdateMicroBatch));
        IReadOnlyList<(long Start, long Count)> parts = MicroBatches.Split(rows.shape[0], rowsPerPass);

        // Data parallelism: every token mean below becomes this rank's term of the mean over all ranks' tokens.
        double share = TokenShare(mask);
        if (parts.Count > 1)
            return UpdateInParts(sequences, oldLogProbs, minibatchAdvantages, oldValues, minibatchReturns, parts, share);

        var forward = ResponseForward.Run(policy, sequences);

        // The stage reads the ratio at the current policy, so PAMA's statistics are recomputed every update; it decides alike on
        // every rank whether the policy moves.
        var clock = Stopwatch.StartNew();
        CombinedAdvantage combined = stage.Combine(new MethodInput(
            minibatchAdvantages, forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, options.ClipEpsilon)
        { ProcessGroup = _group, TokenShare = share });
        double weightingSeconds = clock.Elapsed.TotalSeconds;
        bool updatesPolicy = combined.UpdatesPolicy;
        var (policyLoss, valueLosses, clipFraction) = Losses(forward, oldLogProbs, combined.Advantage, mask, oldValues, minibatchReturns, share);

        double[] host = Reported(policyLoss, clipFraction, valueLosses);
        ZeroGradients();
        Tensor? total = Total(updatesPolicy ? policyLoss : null, valueLosses);
        total?.backward();
        if (total is not null) StepOptimizers(updatesPolicy, valueLosses is not null);
        return (combined with { UpdatesPolicy = updatesPolicy }, host[0], host[2..], host[1], weightingSeconds);
    }

    /// <summary>
    /// One minibatch update whose rows are forwarded in micro-batches: the stage's inputs are gathered over all of them first
    /// (a pass without gradients for the ratio, or with gradients for a Gramian, when the method reads them), then each
    /// micro-batch's share of the losses is back-propagated, the gradients accumulating, before the one optimizer step.
    /// </summary>
    private (CombinedAdvantage Combined, double PolicyLoss, double[] ValueLosses, double ClipFraction, double WeightingSeconds) UpdateInParts(
        RolloutSequences sequences, Tensor oldLogProbs, Tensor advantages, Tensor? oldValues, Tensor? returns,
        IReadOnlyList<(long Start, long Count)> parts, double share)
    {
        Tensor mask = sequences.ResponseMask;
        // Each part's token mean times its share is its term of the mean over the minibatch's tokens on all ranks (one host read).
        double[] tokens = HostReads.Doubles(stack([.. parts.Select(p => mask.narrow(0, p.Start, p.Count).sum())]));
        double localTokens = tokens.Sum();
        double[] shares = [.. tokens.Select(t => localTokens > 0 ? share * t / localTokens : 0.0)];

        // The stage's inputs over the whole minibatch: the current log-probabilities (detached) and, for a Gramian, its sum over the parts.
        var clock = Stopwatch.StartNew();
        Tensor newLogProbs = oldLogProbs;
        using CombineStage.GramianSum? sum = stage.ReadsGramian ? stage.BeginGramian() : null;
        if (stage.ReadsPolicy)
        {
            var logProbs = new Tensor[parts.Count];
            for (int p = 0; p < parts.Count; p++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = sum is null ? no_grad() : null;
                var (start, count) = parts[p];
                var forward = ResponseForward.Run(policy, sequences.Rows(start, count));
                sum?.Add(new MethodInput(advantages.narrow(0, start, count), forward.LogProbs, oldLogProbs.narrow(0, start, count),
                    mask.narrow(0, start, count), forward.LastHiddenState, options.ClipEpsilon) { ProcessGroup = _group, TokenShare = shares[p] });
                logProbs[p] = forward.LogProbs.detach().MoveToOuterDisposeScope();
            }
            newLogProbs = cat(logProbs, 0);
        }
        CombinedAdvantage combined = stage.Combine(new MethodInput(advantages, newLogProbs, oldLogProbs, mask, newLogProbs, options.ClipEpsilon)
        { ProcessGroup = _group, TokenShare = share, GramianParts = sum });
        double weightingSeconds = clock.Elapsed.TotalSeconds;
        bool updatesPolicy = combined.UpdatesPolicy;
        bool backward = updatesPolicy || returns is not null;

        // Each part's forward with gradients and its backward; the reported values add up on the device.
        ZeroGradients();
        Tensor? reported = null;
        for (int p = 0; p < parts.Count; p++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = backward ? null : no_grad();
            var (start, count) = parts[p];
            var forward = ResponseForward.Run(policy, sequences.Rows(start, count));
            var (policyLoss, valueLosses, clipFraction) = Losses(forward, oldLogProbs.narrow(0, start, count), combined.Advantage.narrow(0, start, count),
                mask.narrow(0, start, count), oldValues?.narrow(0, start, count), returns?.narrow(0, start, count), shares[p]);
            Tensor values = Values(policyLoss, clipFraction, valueLosses);
            reported = reported is null ? values.MoveToOuterDisposeScope() : reported.PlusInPlace(values);
            Total(updatesPolicy ? policyLoss : null, valueLosses)?.backward();
        }
        double[] host = Host(reported!);
        if (backward) StepOptimizers(updatesPolicy, returns is not null);
        return (combined with { UpdatesPolicy = updatesPolicy }, host[0], host[2..], host[1], weightingSeconds);
    }

    /// <summary>The policy loss, the value losses (when the heads are trained) and the clip fraction of some rows, each
    /// scaled to its term of the minibatch's mean over all ranks' tokens.</summary>
    private (Tensor PolicyLoss, Tensor? ValueLosses, Tensor ClipFraction) Losses(
        ResponseForward forward, Tensor oldLogProbs, Tensor advantage, Tensor mask, Tensor? oldValues, Tensor? returns, double share)
    {
        Tensor policyLoss = Share(PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, advantage, mask, options.ClipEpsilon), share);
        Tensor? valueLosses = returns is null ? null : Share(PpoLosses.ValueLosses(
            options.Critic == CriticTraining.ThroughTrunk ? valueHeads.ForwardThroughTrunk(forward.ResponseHiddenState) : valueHeads.call(forward.ResponseHiddenState),
            oldValues!, returns, mask, options.ValueClipRange), share);
        Tensor clipFraction = Share(PpoLosses.MaskedMean((forward.LogProbs.detach() - oldLogProbs).exp().Minus(1.0).abs().Gt(options.ClipEpsilon).to(mask.dtype), mask), share);
        return (policyLoss, valueLosses, clipFraction);
    }

    /// <summary>[policy loss, clip fraction, value losses…], detached, float64.</summary>
    private static Tensor Values(Tensor policyLoss, Tensor clipFraction, Tensor? valueLosses)
    {
        Tensor[] reported = valueLosses is null ? [policyLoss.reshape(1), clipFraction.reshape(1)] : [policyLoss.reshape(1), clipFraction.reshape(1), valueLosses];
        return cat(reported).detach().to(ScalarType.Float64);
    }

    /// <summary>One host copy (and one sum over the ranks) for everything reported; refuses non-finite losses.</summary>
    private double[] Reported(Tensor policyLoss, Tensor clipFraction, Tensor? valueLosses) => Host(Values(policyLoss, clipFraction, valueLosses));

    private double[] Host(Tensor values)
    {
        double[] host = _group.Sum(HostReads.Doubles(values));
        if (host.Any(v => !double.IsFinite(v)))
            throw new NonFiniteTrainingException(
                $"Non-finite loss (policy {host[0]}, value [{string.Join(", ", host.Skip(2))}]); the update was refused and no parameter changed.");
        return host;
    }

    private void ZeroGradients()
    {
        policyOptimizer.zero_grad();
        valueOptimizer.zero_grad();
    }

    /// <summary>The policy loss (when the policy is to move) plus the weighted value losses; <c>null</c> when neither applies.</summary>
    private Tensor? Total(Tensor? policyLoss, Tensor? valueLosses)
    {
        Tensor? weightedValueLoss = valueLosses?.sum().Times(options.ValueLossCoefficient);
        return policyLoss is null ? weightedValueLoss : weightedValueLoss is null ? policyLoss : policyLoss.Plus(weightedValueLoss);
    }

    /// <summary>
    /// After the backward passes: the sums over the ranks, the finite check and clipping of both groups, then the optimizer
    /// steps of the groups that have a loss.
    /// </summary>
    private void StepOptimizers(bool policyLoss, bool valueLosses)
    {
        // A critic trained through the trunk moves the policy's parameters even when the policy loss is skipped.
        bool stepPolicy = policyLoss || (valueLosses && options.Critic == CriticTraining.ThroughTrunk);
        if (stepPolicy) GradientAllReduce.Sum(_group, policyParameters);
        if (valueLosses) GradientAllReduce.Sum(_group, _valueParameters);
        var groups = new List<(string, IReadOnlyList<Parameter>)>();
        if (stepPolicy) groups.Add(("policy", policyParameters));
        if (valueLosses) groups.Add(("value-head", _valueParameters));
        GradientGuard.ClipOrRefuse(options.MaxGradNorm, [.. groups]);
        if (stepPolicy) policyOptimizer.step();
        if (valueLosses) valueOptimizer.step();
    }
}
