using Pama.FineTune.Experiment;
using Pama.TorchSharp.IO;
using ScottPlot;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Draws <c>front.png</c>: for each pair of objectives one panel (a single panel for two objectives), the final points of
/// every run against the common reference point of <see cref="ParetoFront"/>. The MORLHF sweep is drawn as its front, each
/// seed's points connected in preference order (and their mean over seeds, bold, with two or more seeds); every other method
/// as its seeds' points and their mean with ± one standard deviation bars. Up and to the right is better in both.
/// </summary>
public static class FrontPlot
{
    /// <summary>Renders the figure and saves it as a PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="objectives">Objectives, in order (two or more).</param>
    /// <param name="front">The reference point (and set hypervolumes, shown in the legend).</param>
    /// <param name="runs">Finished runs.</param>
    public static void Save(string path, IReadOnlyList<string> objectives, ParetoFront front, IReadOnlyList<HeldOutResult> runs)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(front);
        ArgumentNullException.ThrowIfNull(runs);
        var palette = new ScottPlot.Palettes.Category10();
        string[] methods = [.. runs.Select(r => r.Method).Distinct()];
        // A method's colour is that of its first arm in the other figures, which colour arms in run order.
        string[] arms = [.. runs.Select(r => r.Arm).Distinct()];
        int seedCount = runs.Select(r => r.Seed).Distinct().Count();
        var pairs = PlotStyle.ObjectivePairs(objectives);

        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        for (int p = 0; p < pairs.Count; p++)
        {
            (string x, string y) = pairs[p];
            Plot plot = p == 0 ? figure.GetPlot(0) : figure.AddPlot();
            plot.Title(objectives.Count == 2 ? "Final points against the MORLHF front" : $"{x} vs {y} (projection)");
            plot.XLabel($"held-out mean {x} reward");
            plot.YLabel($"held-out mean {y} reward");
            for (int m = 0; m < methods.Length; m++)
            {
                Color color = palette.GetColor(Array.FindIndex(arms, a => RunArm.MethodOf(a) == methods[m]));
                HeldOutResult[] selected = [.. runs.Where(r => r.Method == methods[m])];
                string volume = front.Hypervolumes.TryGetValue(methods[m], out double v) ? $", set HV {v:F3}" : "";
                if (selected.Any(r => r.Preference is not null)) DrawSweep(plot, selected, x, y, color, seedCount, MethodNames.Title(methods[m]) + volume);
                else DrawPoints(plot, selected, x, y, color, MethodNames.Title(methods[m]) + volume);
            }

            if (front.Reference.TryGetValue(x, out double rx) && front.Reference.TryGetValue(y, out double ry))
            {
                var reference = plot.Add.ScatterPoints(new[] { rx }, new[] { ry });
                reference.Color = Colors.Black;
                reference.MarkerShape = MarkerShape.Cross;
                reference.MarkerSize = 14;
                reference.MarkerLineWidth = 2;
                reference.LegendText = "reference (mean pre-alignment)";
            }

            plot.ShowLegend(Edge.Right);
        }

        using ScottPlot.Image image = figure.Render(1000 * pairs.Count, 560);
        byte[] png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    // Each seed's sweep points joined in preference order (the order the runs were planned in), thin; the mean over seeds bold.
    private static void DrawSweep(Plot plot, HeldOutResult[] runs, string x, string y, Color color, int seedCount, string title)
    {
        HeldOutResult[] swept = [.. runs.Where(r => r.Preference is not null)];
        string[] order = [.. swept.Select(r => r.Arm).Distinct()];
        bool first = true;
        foreach (IGrouping<int, HeldOutResult> seed in swept.GroupBy(r => r.Seed))
        {
            HeldOutResult[] path = [.. seed.OrderBy(r => Array.IndexOf(order, r.Arm))];
            var line = plot.Add.ScatterLine(path.Select(r => r.MeanRewards[x]).ToArray(), path.Select(r => r.MeanRewards[y]).ToArray());
            line.Color = seedCount > 1 ? color.WithAlpha(0.45) : color;
            line.LineWidth = seedCount > 1 ? 1 : 2;
            line.LinePattern = seedCount > 1 ? LinePattern.Dashed : LinePattern.Solid;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.MarkerSize = seedCount > 1 ? 5 : 8;
            if (first) line.LegendText = seedCount > 1 ? $"{title}: each seed, in preference order" : $"{title}: sweep, in preference order";
            first = false;
        }

        if (seedCount < 2) return;
        var mean = order.Select(arm => swept.Where(r => r.Arm == arm).ToArray())
            .Select(g => (X: g.Average(r => r.MeanRewards[x]), Y: g.Average(r => r.MeanRewards[y]))).ToArray();
        var meanLine = plot.Add.ScatterLine(mean.Select(c => c.X).ToArray(), mean.Select(c => c.Y).ToArray());
        meanLine.Color = color;
        meanLine.LineWidth = 3;
        meanLine.MarkerShape = MarkerShape.FilledCircle;
        meanLine.MarkerSize = 9;
        meanLine.LegendText = $"{title}: mean over {seedCount} seeds per preference";
    }

    // Every seed's point, hollow; with two or more seeds the mean, filled, with ± one standard deviation bars in both objectives.
    private static void DrawPoints(Plot plot, HeldOutResult[] runs, string x, string y, Color color, string title)
    {
        var points = plot.Add.ScatterPoints(runs.Select(r => r.MeanRewards[x]).ToArray(), runs.Select(r => r.MeanRewards[y]).ToArray());
        points.Color = color;
        points.MarkerShape = runs.Length > 1 ? MarkerShape.OpenCircle : MarkerShape.FilledSquare;
        points.MarkerSize = runs.Length > 1 ? 7 : 10;
        points.LegendText = runs.Length > 1 ? $"{title}: each seed" : title;
        if (runs.Length < 2) return;
        MeanStd mx = MeanStd.Of([.. runs.Select(r => r.MeanRewards[x])]), my = MeanStd.Of([.. runs.Select(r => r.MeanRewards[y])]);
        foreach (var (x1, y1, x2, y2) in new[] { (mx.Mean - mx.Std, my.Mean, mx.Mean + mx.Std, my.Mean), (mx.Mean, my.Mean - my.Std, mx.Mean, my.Mean + my.Std) })
        {
            var bar = plot.Add.Line(x1, y1, x2, y2);
            bar.Color = color;
            bar.LineWidth = 2;
        }

        var centre = plot.Add.ScatterPoints(new[] { mx.Mean }, new[] { my.Mean });
        centre.Color = color;
        centre.MarkerShape = MarkerShape.FilledSquare;
        centre.MarkerSize = 11;
        centre.LegendText = $"{title}: mean ± std over {runs.Length} seeds";
    }
}
