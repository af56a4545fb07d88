using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>Turns per-token rewards of every objective into per-objective advantages.</summary>
public interface IAdvantageEstimator
{
    /// <summary>Estimates advantages <c>A'^i_t</c>.</summary>
    /// <param name="tokenRewards">Per-token rewards <c>[B, T, n]</c>.</param>
    /// <param name="values">Rollout values <c>[B, T, n]</c> (ignored by estimators without a critic).</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    /// <returns>Advantages <c>[B, T, n]</c> (zero on padding) and value targets <c>[B, T, n]</c>, or <c>null</c> targets without value heads.</returns>
    (Tensor Advantages, Tensor? Returns) Estimate(Tensor tokenRewards, Tensor values, Tensor mask);
}
