namespace Pama.FineTune.Reporting;

/// <summary>One method's aggregates over its seeds.</summary>
/// <param name="Objectives">Objective name to the mean and standard deviation over seeds of the held-out mean reward after alignment.</param>
/// <param name="Hypervolume">Mean and standard deviation over seeds of each run's <see cref="ParetoMetrics.Hypervolume"/>.</param>
/// <param name="ImprovedAll">Fraction of the method's runs that ended above their starting point in every objective.</param>
/// <param name="SecondsPerStep">Mean and standard deviation over seeds of each run's mean seconds per training step.</param>
public sealed record MethodSummary(IReadOnlyDictionary<string, MeanStd> Objectives, MeanStd Hypervolume, double ImprovedAll, MeanStd SecondsPerStep);
