namespace Pama.TorchSharp.Training;

/// <summary>Whether the advantages are whitened before the PPO epochs of a step (TRL's <c>masked_whiten</c>).</summary>
public enum AdvantageWhitening
{
    /// <summary>The advantages go to the method as estimated (the default, and what the paper's equations say).</summary>
    None,

    /// <summary>
    /// TRL's PPO practice, once per step after the advantages are estimated: each objective's advantages are shifted
    /// and scaled to zero mean and unit (unbiased) variance over the step's response tokens,
    /// <c>(A − mean) / √(var + 1e-8)</c>, padding set to 0. The value targets (returns) are taken from the
    /// <b>unwhitened</b> advantages, as in TRL. It puts every objective on the same scale, which changes what PAMA's
    /// Theorem 1 picks: its statistics no longer reflect each reward's scale but the shape of each advantage
    /// distribution. MORLHF scalarises before PPO, so it whitens its <b>combined</b> advantage <c>Σ_i w_i A^i</c>
    /// instead, and stays exactly PPO on the scalarised reward.
    /// </summary>
    PerObjective,
}
