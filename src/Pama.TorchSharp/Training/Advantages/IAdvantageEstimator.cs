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

    /// <summary>Whether the advantages come from the value heads (a critic): the trainer then calibrates and trains them.
    /// Default <c>true</c>.</summary>
    bool UsesValueHeads => true;

    /// <summary>The discount γ of the returns the value heads predict (the trainer's first-batch calibration uses it).
    /// Default 1.</summary>
    double Discount => 1.0;

    /// <summary>Consecutive rows that form one group of samples of the same prompt (1: no groups). The trainer requires
    /// <see cref="PamaTrainerOptions.SamplesPerPrompt"/> to equal it when it is above 1. Default 1.</summary>
    int GroupSize => 1;
}
