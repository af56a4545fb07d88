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
        double local = mask.sum().to(ScalarType.Float64).cpu().item<double>();
        double all = _group.Sum(local)[0];
        return all > 0 ? local / all : 0.0;
    }

    /// <summary>A token mean scaled to this rank's term of the mean over all ranks (unchanged in one process).</summary>
    private Tensor Share(Tensor mean, double share) => _group.Size == 1 ? mean : mean.Times(share);

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
        if (options.MiniBatches > allRows)
            throw new ArgumentException($"{nameof(PamaTrainerOptions.MiniBatches)} is {options.MiniBatches} but the step has only {allRows} responses.", nameof(options));

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

    private (CombinedAdvantage Combined, double PolicyLoss, double[] ValueLosses, double ClipFraction, double WeightingSeconds) UpdateMinibatch(
        RolloutBatch rollout, Tensor advantages, Tensor? returns, Tensor rows)
    {
        RolloutSequences sequences = rollout.Sequences.Select(rows);
        Tensor mask = sequences.ResponseMask;
        Tensor oldLogProbs = rollout.OldLogProbs.index_select(0, rows);
        var forward = ResponseForward.Run(policy, sequences);

        // Data parallelism: every token mean below becomes this rank's term of the mean over all ranks' tokens.
        double share = TokenShare(mask);

        // The stage reads the ratio at the current policy, so PAMA's statistics are recomputed every update; it decides alike on
        // every rank whether the policy moves.
        var clock = Stopwatch.StartNew();
        CombinedAdvantage combined = stage.Combine(new MethodInput(
            advantages.index_select(0, rows), forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, options.ClipEpsilon)
        { ProcessGroup = _group, TokenShare = share });
        double weightingSeconds = clock.Elapsed.TotalSeconds;
        bool updatesPolicy = combined.UpdatesPolicy;
        Tensor policyLoss = Share(PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, combined.Advantage, mask, options.ClipEpsilon), share);
        Tensor? valueLosses = returns is null ? null : Share(PpoLosses.ValueLosses(
            options.Critic == CriticTraining.ThroughTrunk ? valueHeads.ForwardThroughTrunk(forward.ResponseHiddenState) : valueHeads.call(forward.ResponseHiddenState),
            rollout.Values.index_select(0, rows), returns.index_select(0, rows), mask, options.ValueClipRange), share);

        // One host copy (and one sum over the ranks) for everything reported: policy loss, clip fraction, value losses.
        Tensor clipFraction = Share(PpoLosses.MaskedMean((forward.LogProbs.detach() - oldLogProbs).exp().Minus(1.0).abs().Gt(options.ClipEpsilon).to(mask.dtype), mask), share);
        Tensor[] reported = valueLosses is null ? [policyLoss.reshape(1), clipFraction.reshape(1)] : [policyLoss.reshape(1), clipFraction.reshape(1), valueLosses];
        double[] host = _group.Sum(cat(reported).detach().to(ScalarType.Float64).cpu().data<double>().ToArray());
        if (host.Any(v => !double.IsFinite(v)))
            throw new NonFiniteTrainingException(
                $"Non-finite loss (policy {host[0]}, value [{string.Join(", ", host.Skip(2))}]); the update was refused and no parameter changed.");

        Step(updatesPolicy ? policyLoss : null, valueLosses);
        return (combined with { UpdatesPolicy = updatesPolicy }, host[0], host[2..], host[1], weightingSeconds);
    }

    /// <summary>
    /// ONE backward of the policy loss (when the policy is to move) plus the weighted value losses, then the
    /// finite check and clipping of both groups, then the optimizer steps of the groups that have a loss.
    /// </summary>
    private void Step(Tensor? policyLoss, Tensor? valueLosses)
    {
        policyOptimizer.zero_grad();
        valueOptimizer.zero_grad();
        Tensor? weightedValueLoss = valueLosses?.sum().Times(options.ValueLossCoefficient);
        Tensor? total = policyLoss is null ? weightedValueLoss : weightedValueLoss is null ? policyLoss : policyLoss.Plus(weightedValueLoss);
        if (total is null) return;

        total.backward();
        // A critic trained through the trunk moves the policy's parameters even when the policy loss is skipped.
        bool stepPolicy = policyLoss is not null || (valueLosses is not null && options.Critic == CriticTraining.ThroughTrunk);
        if (stepPolicy) GradientAllReduce.Sum(_group, policyParameters);
        if (valueLosses is not null) GradientAllReduce.Sum(_group, _valueParameters);
        var groups = new List<(string, IReadOnlyList<Parameter>)>();
        if (stepPolicy) groups.Add(("policy", policyParameters));
        if (valueLosses is not null) groups.Add(("value-head", _valueParameters));
        GradientGuard.ClipOrRefuse(options.MaxGradNorm, [.. groups]);
        if (stepPolicy) policyOptimizer.step();
        if (valueLosses is not null) valueOptimizer.step();
    }
}
