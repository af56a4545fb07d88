namespace Pama.TorchSharp.Training;

/// <summary>How per-objective advantages are estimated from the per-token rewards.</summary>
public enum AdvantageEstimator
{
    /// <summary>
    /// Generalised advantage estimation (Schulman et al., 2016) with the objective's own value head:
    /// <c>δ_t = r_t + γ V_{t+1} − V_t</c>, <c>A_t = δ_t + γλ A_{t+1}</c>, returns <c>A_t + V_t</c> (the paper).
    /// </summary>
    Gae,

    /// <summary>
    /// Our extension, not in the paper: group-relative advantages without a critic (in the spirit of
    /// GRPO, Shao et al., 2024). Each prompt is sampled <see cref="PamaTrainerOptions.SamplesPerPrompt"/>
    /// times; the advantage of every token of a response is that response's total per-token reward
    /// (objective reward minus the summed KL penalty) minus the mean over its group, divided by the
    /// group's standard deviation plus 1e-6. Value heads are not trained.
    /// </summary>
    GroupRelative,
}
