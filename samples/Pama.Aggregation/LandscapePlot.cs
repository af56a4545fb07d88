using ScottPlot;

namespace Pama.Aggregation;

/// <summary>
/// Draws one panel per method: contour lines of the mean objective (f₁ + f₂)/2 over [−11, 11]², the Pareto set (grey
/// segment), the three starts (black) and each start's path, ending in a filled marker.
/// </summary>
public static class LandscapePlot
{
    private const double Extent = 11.0;
    private const int GridPoints = 121;

    /// <summary>Renders the figure and writes it as a PNG.</summary>
    /// <param name="path">Output file.</param>
    /// <param name="paths">For each method (in order), the path from each start.</param>
    public static void Save(string path, IReadOnlyList<(string Method, (double X1, double X2)[][] Paths)> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var grid = Landscape();
        var palette = new ScottPlot.Palettes.Category10();
        int columns = Math.Min(5, paths.Count);
        int rows = (paths.Count + columns - 1) / columns;
        var figure = new Multiplot();
        figure.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (int m = 0; m < paths.Count; m++)
        {
            Plot plot = m == 0 ? figure.GetPlot(0) : figure.AddPlot();
            plot.Title(Methods.Title(paths[m].Method));
            var contours = plot.Add.ContourLines(grid);
            contours.ContourLineCount = 14;
            contours.LabelStyle.IsVisible = false;
            var pareto = plot.Add.Line(-7.0, ToyProblem.ParetoX2, 7.0, ToyProblem.ParetoX2);
            pareto.LineWidth = 6;
            pareto.LineColor = Colors.Gray.WithAlpha(0.6);
            for (int s = 0; s < paths[m].Paths.Length; s++)
            {
                var points = Thin(paths[m].Paths[s], 600);
                var line = plot.Add.ScatterLine(points.Select(p => p.X1).ToArray(), points.Select(p => p.X2).ToArray());
                line.Color = palette.GetColor(s + 1);
                line.LineWidth = 2;
                var start = plot.Add.Marker(points[0].X1, points[0].X2);
                start.Color = Colors.Black;
                start.Size = 8;
                var end = plot.Add.Marker(points[^1].X1, points[^1].X2, MarkerShape.FilledSquare);
                end.Color = palette.GetColor(s + 1);
                end.Size = 8;
            }

            plot.Axes.SetLimits(-Extent, Extent, -Extent, Extent);
            plot.XLabel("x₁");
            plot.YLabel("x₂");
        }

        using var image = figure.Render(340 * columns, 340 * rows);
        File.WriteAllBytes(path, image.GetImageBytes(ImageFormat.Png));
    }

    /// <summary>The mean objective on a square grid.</summary>
    private static Coordinates3d[,] Landscape()
    {
        var grid = new Coordinates3d[GridPoints, GridPoints];
        Span<double> g1 = stackalloc double[2];
        Span<double> g2 = stackalloc double[2];
        for (int i = 0; i < GridPoints; i++)
        {
            for (int j = 0; j < GridPoints; j++)
            {
                double x1 = -Extent + (2.0 * Extent * j / (GridPoints - 1));
                double x2 = -Extent + (2.0 * Extent * i / (GridPoints - 1));
                var (f1, f2) = ToyProblem.Evaluate(x1, x2, g1, g2);
                grid[i, j] = new Coordinates3d(x1, x2, 0.5 * (f1 + f2));
            }
        }

        return grid;
    }

    /// <summary>At most <paramref name="count"/> evenly spaced points of a path, always keeping the last.</summary>
    private static (double X1, double X2)[] Thin((double X1, double X2)[] path, int count)
    {
        if (path.Length <= count)
        {
            return path;
        }

        return [.. Enumerable.Range(0, count).Select(k => path[(int)((long)k * (path.Length - 1) / (count - 1))])];
    }
}
