namespace Pama.FineTune.Reporting;

/// <summary>The held-out evaluation of one trained (method, seed) run.</summary>
/// <param name="Method">Method key.</param>
/// <param name="Seed">Seed.</param>
/// <param name="MeanRewards">Objective name to the mean reward over the held-out prompts' responses.</param>
public sealed record HeldOutResult(string Method, int Seed, IReadOnlyDictionary<string, double> MeanRewards);
