using Pama.FineTune.Experiment;
using Pama.Pareto;

namespace Pama.FineTune.Reporting;

/// <summary>
/// The set view of a run: every method's final points (held-out mean rewards after alignment, all its seeds and, for
/// MORLHF's sweep, all its preferences) measured against one common reference point by their exact hypervolume
/// (<see cref="Hypervolume"/>), and which points the MORLHF sweep dominates.
/// </summary>
/// <param name="Reference">Objective name to the reference value: the mean over all runs of the pre-alignment held-out mean reward.</param>
/// <param name="Hypervolumes">Method key to the hypervolume of the union of its final points over <paramref name="Reference"/>, in order of first appearance.</param>
/// <param name="PointCounts">Method key to how many final points (runs) its hypervolume covers.</param>
/// <param name="Comparisons">With a sweep, every run outside it and the sweep runs whose final point dominates it; empty without a sweep.</param>
/// <param name="PreferenceHypervolumes">With a sweep, each preference's arm key (<see cref="RunArm.Key"/>) to the hypervolume of its own
/// runs' final points over <paramref name="Reference"/> (as many points as any other method has); empty without a sweep.</param>
public sealed record ParetoFront(
    IReadOnlyDictionary<string, double> Reference,
    IReadOnlyDictionary<string, double> Hypervolumes,
    IReadOnlyDictionary<string, int> PointCounts,
    IReadOnlyList<FrontComparison> Comparisons,
    IReadOnlyDictionary<string, double> PreferenceHypervolumes)
{
    /// <summary>The front of <paramref name="runs"/>.</summary>
    /// <param name="objectives">Objectives, in order.</param>
    /// <param name="runs">Finished runs.</param>
    /// <exception cref="ArgumentException">A run lacks an objective.</exception>
    public static ParetoFront Of(IReadOnlyList<string> objectives, IReadOnlyList<HeldOutResult> runs)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(runs);
        var reference = new Dictionary<string, double>();
        if (runs.Count > 0)
        {
            foreach (string objective in objectives) reference[objective] = runs.Average(r => Value(r, r.Before, objective, "pre-alignment"));
        }

        double[] origin = [.. objectives.Select(o => reference.GetValueOrDefault(o))];
        var hypervolumes = new Dictionary<string, double>();
        var counts = new Dictionary<string, int>();
        foreach (IGrouping<string, HeldOutResult> method in runs.GroupBy(r => r.Method))
        {
            double[][] points = [.. method.Select(r => FinalPoint(objectives, r))];
            hypervolumes[method.Key] = Hypervolume.Compute(points, origin);
            counts[method.Key] = points.Length;
        }

        HeldOutResult[] sweep = [.. runs.Where(r => r.Preference is not null)];
        FrontComparison[] comparisons = sweep.Length == 0 ? [] :
            [.. runs.Where(r => r.Preference is null).Select(r => new FrontComparison(r,
                [.. sweep.Where(s => ParetoMetrics.Dominates(FinalPoint(objectives, s), FinalPoint(objectives, r)))]))];
        var preferences = sweep.GroupBy(r => r.Arm).ToDictionary(g => g.Key, g => Hypervolume.Compute([.. g.Select(r => FinalPoint(objectives, r))], origin));
        return new ParetoFront(reference, hypervolumes, counts, comparisons, preferences);
    }

    /// <summary>A run's final point in objective order: its held-out mean rewards after alignment (<c>after</c> in <c>summary.json</c>).</summary>
    /// <exception cref="ArgumentException">The run lacks an objective.</exception>
    public static double[] FinalPoint(IReadOnlyList<string> objectives, HeldOutResult run)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(run);
        return [.. objectives.Select(o => Value(run, run.MeanRewards, o, "final"))];
    }

    private static double Value(HeldOutResult run, IReadOnlyDictionary<string, double> values, string objective, string which) =>
        values.TryGetValue(objective, out double v)
            ? v
            : throw new ArgumentException($"The held-out result of {RunArm.TitleOf(run.Arm)}, seed {run.Seed}, has no {which} value for objective '{objective}'.");
}
