using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Critic;

namespace Pama.TorchSharp.Training.Ppo;

/// <summary>The PPO losses on response tokens (all means are over the masked tokens of the minibatch).</summary>
public static class PpoLosses
{
    /// <summary>Mean of <paramref name="values"/> over the tokens where <paramref name="mask"/> is 1.</summary>
    /// <param name="values">Values <c>[B, T]</c>.</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    public static Tensor MaskedMean(Tensor values, Tensor mask) => (values * mask).sum() / mask.sum().ClampMin(1.0);

    /// <summary>
    /// Clipped surrogate loss (to minimise):
    /// <c>−mean_t min(u_t A_t, clip(u_t, 1−ε, 1+ε) A_t)</c> with <c>u_t = exp(log π_θ − log π_old)</c>.
    /// For <c>A_t ≥ 0</c> (Noon) this is <c>−mean_t A_t min(u_t, 1+ε)</c>: linear in <c>A</c>, so one
    /// backward of the combined advantage <c>Σ c_i A^i</c> gives <c>Σ c_i ∇L^i</c>.
    /// </summary>
    /// <param name="newLogProbs">Log-probabilities under the current policy <c>[B, T]</c> (with gradient).</param>
    /// <param name="oldLogProbs">Rollout log-probabilities <c>[B, T]</c>.</param>
    /// <param name="advantages">The one advantage <c>[B, T]</c> (e.g. <see cref="Methods.CombinedAdvantage.Advantage"/>).</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    /// <param name="epsilon">Clip range ε.</param>
    public static Tensor ClippedSurrogate(Tensor newLogProbs, Tensor oldLogProbs, Tensor advantages, Tensor mask, double epsilon)
    {
        Tensor ratio = (newLogProbs - oldLogProbs).exp();
        Tensor unclipped = ratio * advantages;
        Tensor clipped = ratio.Clamp(1.0 - epsilon, 1.0 + epsilon) * advantages;
        return -MaskedMean(minimum(unclipped, clipped), mask);
    }

    /// <summary>
    /// Per-head value losses <c>[n]</c>: <c>½ mean_t max((V − R)², (V_old + clip(V − V_old, −c, c) − R)²)</c>,
    /// or <c>½ mean_t (V − R)²</c> without a clip range. Each head regresses on its own objective's returns.
    /// </summary>
    /// <param name="values">Current value predictions <c>[B, T, n]</c> (with gradient, e.g. from <see cref="ValueHeads"/>).</param>
    /// <param name="oldValues">Rollout values <c>[B, T, n]</c>.</param>
    /// <param name="returns">Value targets <c>[B, T, n]</c> from an <see cref="Advantages.IAdvantageEstimator"/>.</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    /// <param name="clipRange">Clip range <c>c</c>, or <c>null</c> for the unclipped loss.</param>
    public static Tensor ValueLosses(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double? clipRange)
    {
        Tensor squared = (values - returns).Square();
        if (clipRange is { } c)
        {
            Tensor clippedValues = oldValues.Plus((values - oldValues).Clamp(-c, c));
            squared = maximum(squared, (clippedValues - returns).Square());
        }
        Tensor tokenMask = mask.unsqueeze(-1);
        return (squared * tokenMask).sum([0, 1]).Times(0.5) / mask.sum().ClampMin(1.0);
    }
}
