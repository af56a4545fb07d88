using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;

namespace Pama.Aggregation;

/// <summary>
/// One optimisation path on the toy problem: at every step the two gradients give a 2 × 2 Gramian, the weighting gives
/// w, and Adam descends along d = w₁∇f₁ + w₂∇f₂ (the authors' protocol).
/// </summary>
public static class OptimisationPath
{
    /// <summary>Runs <paramref name="steps"/> steps of Adam from <paramref name="start"/> and returns every point visited.</summary>
    /// <param name="weighting">The aggregator (a stateful one is advanced once per step).</param>
    /// <param name="start">Starting point.</param>
    /// <param name="steps">Number of updates (≥ 0).</param>
    /// <param name="learningRate">Adam's step size.</param>
    /// <returns>steps + 1 points, the start first.</returns>
    public static (double X1, double X2)[] Run(IWeighting weighting, (double X1, double X2) start, int steps, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(weighting);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var points = new (double, double)[steps + 1];
        double[] x = [start.X1, start.X2];
        double[] g1 = new double[2], g2 = new double[2], direction = new double[2], w = new double[2];
        var adam = new Adam(2, learningRate);
        var gramian = Matrix<double>.Build.Dense(2, 2);
        points[0] = start;
        for (int step = 1; step <= steps; step++)
        {
            ToyProblem.Evaluate(x[0], x[1], g1, g2);
            gramian[0, 0] = (g1[0] * g1[0]) + (g1[1] * g1[1]);
            gramian[1, 1] = (g2[0] * g2[0]) + (g2[1] * g2[1]);
            gramian[0, 1] = gramian[1, 0] = (g1[0] * g2[0]) + (g1[1] * g2[1]);
            var input = WeightingInput.FromGramian(gramian);
            weighting.Observe(input);
            weighting.ComputeWeights(input, w);
            direction[0] = (w[0] * g1[0]) + (w[1] * g2[0]);
            direction[1] = (w[0] * g1[1]) + (w[1] * g2[1]);
            adam.Step(x, direction);
            points[step] = (x[0], x[1]);
        }

        return points;
    }
}
