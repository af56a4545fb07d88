using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Rollout;

namespace Pama.TorchSharp.Training.Critic;

/// <summary>
/// <see cref="ValueHeadInitialization.FirstBatchMeanReturn"/>: sets each head's bias to its objective's mean return on
/// the first batch and shifts the rollout's values accordingly, before the first advantages are estimated.
/// </summary>
/// <remarks>
/// Why: GAE with a zero critic gives <c>A'^i_t = Σ_k (γλ)^(k−t) r^i_k</c>, the rewards themselves rather than an
/// advantage. For an objective whose rewards are all negative (a penalty, a harmlessness logit below zero) every
/// advantage is then ≤ 0, Noon clipping leaves nothing, its statistic is 0 and Theorem 1 returns <c>s* = 0</c>: the
/// policy does not move until the head has learned the offset, which at a small value learning rate takes a very long
/// time. A critic whose constant part is the batch mean makes the advantages centred from the first update on. The
/// value is a function of the rewards only (no random draw), the same for every method.
/// </remarks>
internal static class ValueHeadCalibration
{
    /// <summary>
    /// Mean over response tokens of the return-to-go <c>G^i_t = Σ_{k≥t} γ^(k−t) r^i_k</c> of each objective <c>[n]</c>,
    /// accumulated in float64 (so a constant reward gives back exactly that reward).
    /// </summary>
    /// <param name="tokenRewards">Per-token rewards <c>[B, T, n]</c> (zero on padding).</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    /// <param name="gamma">Discount γ.</param>
    public static Tensor MeanReturns(Tensor tokenRewards, Tensor mask, double gamma)
    {
        using var noGrad = no_grad();
        Tensor rewards = tokenRewards.to(ScalarType.Float64);
        Tensor tokenMask = mask.to(ScalarType.Float64).unsqueeze(-1);
        long length = rewards.shape[1];
        Tensor running = zeros_like(rewards.select(1, 0));
        Tensor total = zeros_like(running.select(0, 0));
        for (long t = length - 1; t >= 0; t--)
        {
            running = rewards.select(1, t).Plus(running.Times(gamma)) * tokenMask.select(1, t);
            total = total.Plus(running.sum([0L]));
        }
        return total / tokenMask.sum().ClampMin(1.0);
    }

    /// <summary>
    /// <see cref="MeanReturns(Tensor, Tensor, double)"/> over every rank of a data-parallel group: the sums and token counts of all ranks, so every
    /// rank sets the same biases. On the host, float64 <c>[n]</c>.
    /// </summary>
    public static double[] MeanReturns(Tensor tokenRewards, Tensor mask, double gamma, Distributed.IProcessGroup group)
    {
        using var noGrad = no_grad();
        Tensor tokens = mask.to(ScalarType.Float64).sum();
        double[] local = HostReads.Doubles(cat([MeanReturns(tokenRewards, mask, gamma) * tokens, tokens.reshape(1)]));
        double[] sums = Distributed.ProcessGroupExtensions.Sum(group, local);
        int n = sums.Length - 1;
        double count = Math.Max(sums[n], 1.0);
        return [.. sums[..n].Select(v => v / count)];
    }

    /// <summary>
    /// Sets the heads' biases to <see cref="MeanReturns(Tensor, Tensor, double)"/> and returns the rollout with its values shifted by the same
    /// amount (the values the calibrated heads give, without another forward pass: the heads are affine), and the
    /// previous biases, so that a step that fails later can put them back.
    /// </summary>
    /// <exception cref="NonFiniteTrainingException">A mean return is not finite (the rewards overflow); nothing changed.</exception>
    public static (RolloutBatch Rollout, Tensor PreviousBias) Apply(ValueHeads heads, RolloutBatch rollout, Tensor tokenRewards, double gamma,
        IReadOnlyList<string> objectiveNames, Distributed.IProcessGroup group)
    {
        using var noGrad = no_grad();
        Tensor mask = rollout.Sequences.ResponseMask;
        double[] host = MeanReturns(tokenRewards, mask, gamma, group);
        Tensor target = tensor(host, ScalarType.Float64);
        for (int i = 0; i < host.Length; i++)
            if (!double.IsFinite(host[i]) || !double.IsFinite((double)(float)host[i]))
                throw new NonFiniteTrainingException(
                    $"The mean return of objective '{objectiveNames[i]}' on the first batch is {host[i]}, too large for the value heads; no parameter changed.");
        Tensor previous = heads.Bias.detach().clone();
        Tensor shift = heads.SetBias(target);
        Tensor values = rollout.Values.Plus(shift) * mask.unsqueeze(-1).to(rollout.Values.dtype);
        return (rollout with { Values = values }, previous);
    }
}
