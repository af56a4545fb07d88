using System.Diagnostics;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Methods;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// The PPO epochs of one step: for every minibatch, forward the policy, let the method form the one
/// advantage, build the loss (clipped surrogate + value losses), ONE backward, guard and clip the
/// gradients, step the optimizers. The policy optimizer is skipped when the method reports that the
/// advantage cannot move the policy (PAMA with <c>s* = 0</c>), so weight decay and momentum leave it untouched.
/// </summary>
internal sealed class PpoUpdater(
    ICausalLanguageModel policy,
    IReadOnlyList<Parameter> policyParameters,
    ValueHeads valueHeads,
    OptimizerHelper policyOptimizer,
    OptimizerHelper valueOptimizer,
    IMultiObjectiveMethod method,
    PamaTrainerOptions options)
{
    private readonly IReadOnlyList<Parameter> _valueParameters = [.. valueHeads.parameters()];

    /// <summary>Runs all updates of one step.</summary>
    /// <param name="rollout">The step's rollout.</param>
    /// <param name="advantages">Per-objective advantages <c>[B, T, n]</c>.</param>
    /// <param name="returns">Value targets <c>[B, T, n]</c>, or <c>null</c> when the value heads are not trained.</param>
    /// <param name="generator">The trainer's generator, for shuffling.</param>
    public UpdateSummary Run(RolloutBatch rollout, Tensor advantages, Tensor? returns, Generator generator)
    {
        int n = (int)advantages.shape[2];
        long rows = rollout.Sequences.Count;
        if (options.MiniBatches > rows)
            throw new ArgumentException($"{nameof(PamaTrainerOptions.MiniBatches)} is {options.MiniBatches} but the step has only {rows} responses.", nameof(options));

        var weightSum = new double[n];
        var valueLossSum = new double[n];
        double optimalValueSum = 0, clipFractionSum = 0, policyLossSum = 0, weightingSeconds = 0;
        int updates = 0, stationary = 0;
        var stationaryDetails = new List<(int, int[], int[])>();
        bool policyUpdated = false;
        for (int epoch = 0; epoch < options.PpoEpochs; epoch++)
        {
            using var epochScope = NewDisposeScope();
            Tensor order = randperm(rows, generator: generator, device: generator.device).to(advantages.device);
            foreach (Tensor rowsOfBatch in order.tensor_split(options.MiniBatches))
            {
                using var scope = NewDisposeScope();
                var result = UpdateMinibatch(rollout, advantages, returns, rowsOfBatch);
                updates++;
                for (int i = 0; i < n; i++) weightSum[i] += result.Combined.Weights[i];
                optimalValueSum += result.Combined.OptimalValue;
                if (!result.Combined.UpdatesPolicy)
                {
                    stationary++;
                    stationaryDetails.Add((updates, [.. result.Combined.WithoutPositiveAdvantage ?? []], [.. result.Combined.Flat ?? []]));
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
            returns is null ? [] : [.. valueLossSum.Select(v => v / updates)], weightingSeconds, stationaryDetails);
    }

    private (CombinedAdvantage Combined, double PolicyLoss, double[] ValueLosses, double ClipFraction, double WeightingSeconds) UpdateMinibatch(
        RolloutBatch rollout, Tensor advantages, Tensor? returns, Tensor rows)
    {
        RolloutSequences sequences = rollout.Sequences.Select(rows);
        Tensor mask = sequences.ResponseMask;
        Tensor oldLogProbs = rollout.OldLogProbs.index_select(0, rows);
        var forward = ResponseForward.Run(policy, sequences);

        // The method reads the ratio at the current policy, so PAMA's statistics are recomputed every update.
        var clock = Stopwatch.StartNew();
        CombinedAdvantage combined = method.Combine(new MethodInput(
            advantages.index_select(0, rows), forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, options.ClipEpsilon));
        double weightingSeconds = clock.Elapsed.TotalSeconds;
        Tensor policyLoss = PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, combined.Advantage, mask, options.ClipEpsilon);
        Tensor? valueLosses = returns is null ? null : PpoLosses.ValueLosses(
            valueHeads.call(forward.ResponseHiddenState), rollout.Values.index_select(0, rows), returns.index_select(0, rows), mask, options.ValueClipRange);

        // One host copy for everything reported: policy loss, clip fraction, value losses.
        Tensor clipFraction = PpoLosses.MaskedMean((forward.LogProbs.detach() - oldLogProbs).exp().sub(1.0).abs().gt(options.ClipEpsilon).to(mask.dtype), mask);
        Tensor[] reported = valueLosses is null ? [policyLoss.reshape(1), clipFraction.reshape(1)] : [policyLoss.reshape(1), clipFraction.reshape(1), valueLosses];
        double[] host = cat(reported).detach().to(ScalarType.Float64).cpu().data<double>().ToArray();
        if (host.Any(v => !double.IsFinite(v)))
            throw new NonFiniteTrainingException(
                $"Non-finite loss (policy {host[0]}, value [{string.Join(", ", host.Skip(2))}]); the update was refused and no parameter changed.");

        Step(combined.UpdatesPolicy ? policyLoss : null, valueLosses);
        return (combined, host[0], host[2..], host[1], weightingSeconds);
    }

    /// <summary>
    /// ONE backward of the policy loss (when the policy is to move) plus the weighted value losses, then the
    /// finite check and clipping of both groups, then the optimizer steps of the groups that have a loss.
    /// </summary>
    private void Step(Tensor? policyLoss, Tensor? valueLosses)
    {
        policyOptimizer.zero_grad();
        valueOptimizer.zero_grad();
        Tensor? weightedValueLoss = valueLosses is null ? null : options.ValueLossCoefficient * valueLosses.sum();
        Tensor? total = policyLoss is null ? weightedValueLoss : weightedValueLoss is null ? policyLoss : policyLoss + weightedValueLoss;
        if (total is null) return;

        total.backward();
        var groups = new List<(string, IReadOnlyList<Parameter>)>();
        if (policyLoss is not null) groups.Add(("policy", policyParameters));
        if (valueLosses is not null) groups.Add(("value-head", _valueParameters));
        GradientGuard.ClipOrRefuse(options.MaxGradNorm, [.. groups]);
        if (policyLoss is not null) policyOptimizer.step();
        if (valueLosses is not null) valueOptimizer.step();
    }
}
