namespace Pama.Aggregation;

/// <summary>Runs every method from the authors' three starts and writes <c>toy-paths.png</c> and <c>toy-paths.csv</c>.</summary>
public static class Demo
{
    /// <summary>
    /// A point counts as Pareto-stationary when the min-norm point of the hull of its two gradients (MGDA's value) is at
    /// most this fraction of the longer gradient's norm: no direction then improves both objectives by more.
    /// </summary>
    public const double StationaryTolerance = 1e-3;

    /// <summary>Runs the demo.</summary>
    /// <param name="outputDirectory">Created if missing.</param>
    /// <param name="steps">Adam steps per path.</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <param name="seed">Seed of PCGrad's orders and random weighting's draws.</param>
    /// <param name="methods">Method names (null: all of <see cref="Methods.Names"/>).</param>
    /// <returns>One row per method and start: where the path ended and the objectives there.</returns>
    public static IReadOnlyList<PathSummary> Run(string outputDirectory, int steps, double learningRate, long seed, IReadOnlyList<string>? methods = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (!(learningRate > 0.0) || !double.IsFinite(learningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        }

        methods ??= Methods.Names;
        Directory.CreateDirectory(outputDirectory);
        var drawn = new List<(string, (double X1, double X2)[][])>();
        var summaries = new List<PathSummary>();
        Span<double> g1 = stackalloc double[2];
        Span<double> g2 = stackalloc double[2];
        foreach (string method in methods)
        {
            var weighting = Methods.Create(method, seed);
            var paths = ToyProblem.Starts.Select(start => OptimisationPath.Run(weighting, start, steps, learningRate)).ToArray();
            drawn.Add((method, paths));
            for (int s = 0; s < paths.Length; s++)
            {
                var end = paths[s][^1];
                var (f1, f2) = ToyProblem.Evaluate(end.X1, end.X2, g1, g2);
                summaries.Add(new PathSummary(method, ToyProblem.Starts[s], end, f1, f2, IsParetoStationary(g1, g2)));
            }
        }

        LandscapePlot.Save(Path.Combine(outputDirectory, "toy-paths.png"), drawn);
        using var csv = new StreamWriter(Path.Combine(outputDirectory, "toy-paths.csv"));
        csv.WriteLine("method,start_x1,start_x2,end_x1,end_x2,f1,f2,pareto_stationary");
        foreach (var row in summaries)
        {
            csv.WriteLine(FormattableString.Invariant(
                $"{row.Method},{row.Start.X1},{row.Start.X2},{row.End.X1:R},{row.End.X2:R},{row.F1:R},{row.F2:R},{row.ParetoStationary}"));
        }

        return summaries;
    }

    /// <summary>Whether the min-norm convex combination of two gradients is below <see cref="StationaryTolerance"/> of the longer one.</summary>
    private static bool IsParetoStationary(ReadOnlySpan<double> g1, ReadOnlySpan<double> g2)
    {
        var gramian = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(2, 2);
        gramian[0, 0] = (g1[0] * g1[0]) + (g1[1] * g1[1]);
        gramian[1, 1] = (g2[0] * g2[0]) + (g2[1] * g2[1]);
        gramian[0, 1] = gramian[1, 0] = (g1[0] * g2[0]) + (g1[1] * g2[1]);
        double minimumNorm = Math.Sqrt(Weightings.MgdaWeighting.Solve(gramian, new double[2]).Value);
        return minimumNorm <= StationaryTolerance * Math.Sqrt(Math.Max(gramian[0, 0], gramian[1, 1]));
    }
}

/// <summary>Where one path ended.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Start">Starting point.</param>
/// <param name="End">Final point.</param>
/// <param name="F1">f₁ at the end.</param>
/// <param name="F2">f₂ at the end.</param>
/// <param name="ParetoStationary">Whether the end is Pareto-stationary (see <see cref="Demo.StationaryTolerance"/>).</param>
public sealed record PathSummary(string Method, (double X1, double X2) Start, (double X1, double X2) End, double F1, double F2, bool ParetoStationary);
