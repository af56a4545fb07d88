namespace Pama.FineTune.Reporting;

/// <summary>
/// Pareto quantities of one run: how far its final point moved from its own starting point, in every objective at once.
/// </summary>
public static class ParetoMetrics
{
    /// <summary>
    /// The hypervolume of the final point with the run's pre-alignment point as reference:
    /// <c>Π_i max(after_i − before_i, 0)</c>, the volume of the box the run gained. Zero as soon as any objective
    /// got worse (or did not move), so it rewards improving every objective, and a large gain in one objective
    /// cannot make up for a loss in another.
    /// </summary>
    /// <exception cref="ArgumentException">An objective is missing from <paramref name="before"/> or <paramref name="after"/>.</exception>
    public static double Hypervolume(IReadOnlyList<string> objectives, IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after)
    {
        double volume = 1.0;
        foreach (string objective in objectives) volume *= Math.Max(Value(after, objective, "after") - Value(before, objective, "before"), 0.0);
        return volume;
    }

    /// <summary>Whether the run ended strictly above its starting point in every objective.</summary>
    /// <exception cref="ArgumentException">An objective is missing from <paramref name="before"/> or <paramref name="after"/>.</exception>
    public static bool ImprovedAll(IReadOnlyList<string> objectives, IReadOnlyDictionary<string, double> before, IReadOnlyDictionary<string, double> after) =>
        objectives.All(o => Value(after, o, "after") > Value(before, o, "before"));

    /// <summary>Whether <paramref name="a"/> Pareto-dominates <paramref name="b"/> (maximisation): at least as high in every objective and higher in one.</summary>
    /// <exception cref="ArgumentException">The points have different lengths.</exception>
    public static bool Dominates(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) throw new ArgumentException($"Points of {a.Count} and {b.Count} objectives cannot be compared.", nameof(b));
        bool higher = false;
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] < b[i]) return false;
            higher |= a[i] > b[i];
        }

        return higher;
    }

    private static double Value(IReadOnlyDictionary<string, double> values, string objective, string which) =>
        values.TryGetValue(objective, out double value) ? value : throw new ArgumentException($"The {which} values have no entry for objective '{objective}'.");
}
