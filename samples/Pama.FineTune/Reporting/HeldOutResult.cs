using Pama.FineTune.Experiment;

namespace Pama.FineTune.Reporting;

/// <summary>The held-out evaluation of one trained (method, seed) run, before and after alignment.</summary>
/// <param name="Method">Method key.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Before">Objective name to the mean reward of the pretrained policy over the held-out prompts (same prompts and draws as <paramref name="MeanRewards"/>).</param>
/// <param name="MeanRewards">Objective name to the mean reward of the aligned policy over the held-out prompts.</param>
/// <param name="SecondsPerStep">Mean wall-clock seconds of the run's training steps (those timed in the session that finished it).</param>
/// <param name="Preference">MORLHF's preference weights of a sweep run, in objective order; <c>null</c> for a run with its method's own weighting.</param>
public sealed record HeldOutResult(
    string Method, int Seed, IReadOnlyDictionary<string, double> Before, IReadOnlyDictionary<string, double> MeanRewards, double SecondsPerStep,
    IReadOnlyList<double>? Preference = null)
{
    /// <summary>The key of the run's arm: the method key, or <c>morlhf@w₁/w₂/…</c> for a sweep run (see <see cref="RunArm.Key"/>).</summary>
    public string Arm => RunArm.KeyOf(Method, Preference);
}
