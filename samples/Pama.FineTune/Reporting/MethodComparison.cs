namespace Pama.FineTune.Reporting;

/// <summary>PAMA against one baseline on one metric (an objective's held-out reward or the hypervolume), over seeds.</summary>
/// <param name="Method">The method tested (<c>pama</c>).</param>
/// <param name="Baseline">The baseline it is compared with.</param>
/// <param name="Metric">Objective name, or <c>hypervolume</c>.</param>
/// <param name="Test">Welch's t-test of the method's per-seed values against the baseline's.</param>
public sealed record MethodComparison(string Method, string Baseline, string Metric, WelchTest Test);
