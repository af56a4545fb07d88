using Pama.TorchSharp.IO;
using Pama.FineTune.Experiment;
using ScottPlot;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Draws <c>rewards.png</c>: one panel per objective, one line per method (per preference of a MORLHF sweep), the mean over
/// seeds of the batch mean reward at each training step with a band of plus or minus one standard deviation across seeds
/// (one seed: its own line, no band). The legend sits outside the data.
/// </summary>
public static class RewardPlot
{
    /// <summary>Renders the figure from <paramref name="rows"/> and saves it as a PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="objectives">Objectives, one panel each, in order.</param>
    /// <param name="methods">Arm keys (<see cref="Experiment.RunArm.Key"/>: method keys, or sweep preferences), one line each, in order.</param>
    /// <param name="rows">Per-step metrics of every run.</param>
    public static void Save(string path, IReadOnlyList<string> objectives, IReadOnlyList<string> methods, IReadOnlyList<MetricRow> rows)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        int[] seeds = [.. rows.Select(r => r.Seed).Distinct().Order()];
        for (int o = 0; o < objectives.Count; o++)
        {
            // A new multiplot already holds one empty plot: use it for the first panel.
            string objective = objectives[o];
            Plot plot = o == 0 ? figure.GetPlot(0) : figure.AddPlot();
            plot.Title($"{objective} reward");
            plot.XLabel("training step");
            plot.YLabel(seeds.Length == 1 ? $"batch mean reward ({PlotStyle.Seeds(seeds)})" : $"batch mean reward ({PlotStyle.Seeds(seeds)}, ± std)");
            PlotStyle.WholeNumberTicks(plot.Axes.Bottom);
            for (int m = 0; m < methods.Count; m++)
            {
                (double[] steps, double[] mean, double[] std) = Curve(rows, methods[m], objective);
                if (steps.Length == 0) continue;
                Color color = palette.GetColor(m);
                if (seeds.Length > 1)
                {
                    var band = plot.Add.FillY(steps, mean.Zip(std, (a, s) => a - s).ToArray(), mean.Zip(std, (a, s) => a + s).ToArray());
                    band.FillColor = color.WithAlpha(0.2);
                    band.LineWidth = 0;
                }

                var line = plot.Add.ScatterLine(steps, mean);
                line.Color = color;
                line.LineWidth = 2;
                line.LegendText = RunArm.TitleOf(methods[m]);
            }

            plot.ShowLegend(Edge.Right);
        }

        using ScottPlot.Image image = figure.Render(700 * Math.Max(1, objectives.Count), 450);
        byte[] png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }

    // Mean and sample standard deviation across seeds at every step that all of the method's seeds reached.
    private static (double[] Steps, double[] Mean, double[] Std) Curve(IReadOnlyList<MetricRow> rows, string method, string objective)
    {
        MetricRow[] selected = rows.Where(r => r.Method == method && r.Objective == objective).ToArray();
        int seedCount = selected.Select(r => r.Seed).Distinct().Count();
        var steps = new List<double>();
        var mean = new List<double>();
        var std = new List<double>();
        foreach (IGrouping<int, MetricRow> step in selected.GroupBy(r => r.Step).OrderBy(g => g.Key))
        {
            if (step.Count() != seedCount) continue;
            MeanStd value = MeanStd.Of(step.Select(r => r.MeanReward).ToArray());
            steps.Add(step.Key);
            mean.Add(value.Mean);
            std.Add(value.Std);
        }

        return (steps.ToArray(), mean.ToArray(), std.ToArray());
    }
}
