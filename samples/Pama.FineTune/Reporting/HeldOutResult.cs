namespace Pama.FineTune.Reporting;

/// <summary>The held-out evaluation of one trained (method, seed) run, before and after alignment.</summary>
/// <param name="Method">Method key.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Before">Objective name to the mean reward of the pretrained policy over the held-out prompts (same prompts and draws as <paramref name="MeanRewards"/>).</param>
/// <param name="MeanRewards">Objective name to the mean reward of the aligned policy over the held-out prompts.</param>
/// <param name="SecondsPerStep">Mean wall-clock seconds of the run's training steps (those timed in the session that finished it).</param>
public sealed record HeldOutResult(
    string Method, int Seed, IReadOnlyDictionary<string, double> Before, IReadOnlyDictionary<string, double> MeanRewards, double SecondsPerStep);
