using Pama.TorchSharp.IO;
using Pama.FineTune.Experiment;
using ScottPlot;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Draws <c>pareto.png</c>: for each pair of objectives one panel (a single panel for two objectives), every run as
/// an arrow from its pre-alignment point to its final point in held-out mean reward, coloured by method (by preference in a
/// MORLHF sweep), a dot for a run that did not move. Up and to the right is better in both; an arrow that points down or
/// left lost an objective. The legend sits outside the data.
/// </summary>
public static class ParetoPlot
{
    /// <summary>Renders the figure from <paramref name="runs"/> and saves it as a PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="objectives">Objectives, in order (two or more).</param>
    /// <param name="methods">Arm keys (<see cref="RunArm.Key"/>: method keys, or sweep preferences), in order (their colours match <c>rewards.png</c>).</param>
    /// <param name="runs">Finished runs, before and after.</param>
    public static void Save(string path, IReadOnlyList<string> objectives, IReadOnlyList<string> methods, IReadOnlyList<HeldOutResult> runs)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var pairs = PlotStyle.ObjectivePairs(objectives);

        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        for (int p = 0; p < pairs.Count; p++)
        {
            (string x, string y) = pairs[p];
            Plot plot = p == 0 ? figure.GetPlot(0) : figure.AddPlot();
            plot.Title($"{x} vs {y}: each run before → after");
            plot.XLabel($"held-out mean {x} reward");
            plot.YLabel($"held-out mean {y} reward");

            HeldOutResult[] firstPerSeed = runs.GroupBy(r => r.Seed).Select(g => g.First()).ToArray();
            var start = plot.Add.ScatterPoints(firstPerSeed.Select(r => r.Before[x]).ToArray(), firstPerSeed.Select(r => r.Before[y]).ToArray());
            start.Color = Colors.Black;
            start.MarkerSize = 6;
            start.LegendText = "pretrained (per seed)";
            for (int m = 0; m < methods.Count; m++)
            {
                HeldOutResult[] selected = runs.Where(r => r.Arm == methods[m]).ToArray();
                if (selected.Length == 0) continue;
                Color color = palette.GetColor(m);
                foreach (HeldOutResult run in selected)
                {
                    // An arrow of length zero would draw a bare arrowhead pointing nowhere.
                    if (run.Before[x] == run.MeanRewards[x] && run.Before[y] == run.MeanRewards[y]) continue;
                    var arrow = plot.Add.Arrow(new Coordinates(run.Before[x], run.Before[y]), new Coordinates(run.MeanRewards[x], run.MeanRewards[y]));
                    arrow.ArrowLineColor = color;
                    arrow.ArrowFillColor = color.WithAlpha(0.6);
                    arrow.ArrowWidth = 2;
                    arrow.ArrowheadWidth = 10;
                    arrow.ArrowheadLength = 12;
                }

                var ends = plot.Add.ScatterPoints(selected.Select(r => r.MeanRewards[x]).ToArray(), selected.Select(r => r.MeanRewards[y]).ToArray());
                ends.Color = color;
                ends.MarkerSize = 7;
                ends.LegendText = RunArm.TitleOf(methods[m]);
            }

            plot.ShowLegend(Edge.Right);
        }

        using ScottPlot.Image image = figure.Render(900 * pairs.Count, 520);
        byte[] png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
