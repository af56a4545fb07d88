// readme:solver
using Pama;
// readme:end

namespace Pama.Examples;

/// <summary>README: Theorem 1 on three statistics.</summary>
public static class SolverExample
{
    /// <summary>Runs the example; returns s* of the allocation-free call.</summary>
    public static double Run()
    {
        // readme:solver
        PamaSolution solution = PamaSolver.Solve([0.8, -0.1, 0.3]);
        // solution.Value == 0 (mixed signs): weight 1/9 on 0.8, 8/9 on -0.1, 0 on 0.3

        Span<double> weights = stackalloc double[3];
        double sStar = PamaSolver.Solve([0.4, 0.1, 0.1], weights);   // allocation-free: s* = 0.1, c = [0, 0.5, 0.5]
        // readme:end
        return solution.Value + sStar;
    }
}
