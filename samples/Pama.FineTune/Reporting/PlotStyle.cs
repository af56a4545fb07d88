using ScottPlot;

namespace Pama.FineTune.Reporting;

/// <summary>What the sample's plots share: the objective pairs of their panels, whole-number step ticks, seed wording that matches the number of seeds, and line
/// styles that keep coincident lines apart.</summary>
internal static class PlotStyle
{
    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    /// <summary>Every pair of objectives (a, b) with a before b, one panel each.</summary>
    public static List<(string X, string Y)> ObjectivePairs(IReadOnlyList<string> objectives)
    {
        var pairs = new List<(string X, string Y)>();
        for (int a = 0; a < objectives.Count; a++)
            for (int b = a + 1; b < objectives.Count; b++) pairs.Add((objectives[a], objectives[b]));
        return pairs;
    }

    /// <summary>Training steps are whole numbers: no half-step ticks.</summary>
    public static void WholeNumberTicks(IAxis axis) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

    /// <summary>"mean over 3 seeds" or "seed 1" (nothing is averaged over one seed).</summary>
    public static string Seeds(IReadOnlyCollection<int> seeds, string statistic = "mean") =>
        seeds.Count == 1 ? $"seed {seeds.First()}" : $"{statistic} over {seeds.Count} seeds";

    /// <summary>The k-th of several lines that may lie on each other: a different dash pattern each, and each drawn narrower
    /// than the one before, so a line hidden under another still shows through its gaps.</summary>
    public static void Distinguish(IHasLine line, int k, int count)
    {
        line.LinePattern = Patterns[k % Patterns.Length];
        line.LineWidth = 2 + (2 * (count - 1 - k));
    }
}
