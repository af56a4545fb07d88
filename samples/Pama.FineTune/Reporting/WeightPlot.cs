using Pama.TorchSharp.IO;
using Pama.FineTune.Experiment;
using ScottPlot;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Draws <c>weights.png</c>: one panel per method (per preference of a MORLHF sweep), one line per objective, the weight
/// <c>c_i</c> the method gave the objective at each training step (mean over the step's updates, then over seeds). MORLHF's
/// weights are fixed; PAMA's show which objective Theorem 1 put its weight on; MGDA-UB's come from its min-norm solve.
/// Lines that coincide (MORLHF's equal weights) stay visible: each objective has its own dash and width.
/// </summary>
public static class WeightPlot
{
    /// <summary>Renders the figure from <paramref name="rows"/> and saves it as a PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="objectives">Objectives, one line each, in order.</param>
    /// <param name="methods">Arm keys (<see cref="Experiment.RunArm.Key"/>: method keys, or sweep preferences), one panel each, in order.</param>
    /// <param name="rows">Per-step metrics of every run.</param>
    public static void Save(string path, IReadOnlyList<string> objectives, IReadOnlyList<string> methods, IReadOnlyList<MetricRow> rows)
    {
        var palette = new ScottPlot.Palettes.Category10();
        var figure = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        int[] seeds = [.. rows.Select(r => r.Seed).Distinct().Order()];
        for (int m = 0; m < methods.Count; m++)
        {
            Plot plot = m == 0 ? figure.GetPlot(0) : figure.AddPlot();
            plot.Title($"{RunArm.TitleOf(methods[m])}: weight per objective");
            plot.XLabel("training step");
            plot.YLabel($"weight c_i ({PlotStyle.Seeds(seeds)})");
            PlotStyle.WholeNumberTicks(plot.Axes.Bottom);
            for (int o = 0; o < objectives.Count; o++)
            {
                MetricRow[] selected = rows.Where(r => r.Method == methods[m] && r.Objective == objectives[o]).ToArray();
                int seedCount = selected.Select(r => r.Seed).Distinct().Count();
                var steps = new List<double>();
                var weights = new List<double>();
                foreach (IGrouping<int, MetricRow> step in selected.GroupBy(r => r.Step).OrderBy(g => g.Key))
                {
                    // Only steps every seed reached, so the mean is over the same seeds throughout.
                    if (step.Count() != seedCount) continue;
                    steps.Add(step.Key);
                    weights.Add(step.Average(r => r.Weight));
                }

                if (steps.Count == 0) continue;
                var line = plot.Add.ScatterLine(steps.ToArray(), weights.ToArray());
                line.Color = palette.GetColor(o);
                PlotStyle.Distinguish(line, o, objectives.Count);
                line.LegendText = objectives[o];
            }

            plot.Axes.SetLimitsY(-0.05, 1.05);
            plot.ShowLegend(Edge.Bottom);
        }

        using ScottPlot.Image image = figure.Render(420 * Math.Max(1, methods.Count), 460);
        byte[] png = image.GetImageBytes(ImageFormat.Png);
        AtomicFile.Write(path, stream => stream.Write(png));
    }
}
