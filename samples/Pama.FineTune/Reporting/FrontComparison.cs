namespace Pama.FineTune.Reporting;

/// <summary>A run outside the MORLHF sweep and the sweep runs whose final point dominates its own (at least as high in every objective, higher in one).</summary>
/// <param name="Run">The run.</param>
/// <param name="DominatedBy">The dominating sweep runs, any seed; empty when the run is on or beyond the sweep's front.</param>
public sealed record FrontComparison(HeldOutResult Run, IReadOnlyList<HeldOutResult> DominatedBy);
