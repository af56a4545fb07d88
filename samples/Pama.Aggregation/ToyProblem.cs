namespace Pama.Aggregation;

/// <summary>
/// The two-objective toy problem of Liu et al. (2021, "Conflict-Averse Gradient Descent for Multi-task Learning",
/// NeurIPS, Appendix; the authors' toy.py), written with its analytic gradients. With x = (x₁, x₂):
/// </summary>
/// <remarks>
/// <code>
/// c₁ = max(tanh(x₂/2), 0),  c₂ = max(tanh(−x₂/2), 0)
/// f₁ = c₁ · (log max(|−(x₁ + 7)/2 − tanh(−x₂)|, 5e−6) + 6) + c₂ · (((7 − x₁)² + 0.1 (x₂ + 8)²)/10 − 20)
/// f₂ = c₁ · (log max(|(3 − x₁)/2 + tanh(−x₂) + 2|, 5e−6) + 6) + c₂ · (((x₁ + 7)² + 0.1 (x₂ + 8)²)/10 − 20)
/// </code>
/// The Pareto set is the segment x₂ ≈ −8.3552, x₁ ∈ [−7, 7]; the mean objective is lowest at its middle. The authors
/// start from (−8.5, 7.5), (−8.5, −5) and (9, 9). Where a clamp is active its gradient is 0, as in PyTorch.
/// </remarks>
public static class ToyProblem
{
    /// <summary>The clamp below which the logarithm's argument is held (the authors' LOWER).</summary>
    public const double Lower = 0.000005;

    /// <summary>The authors' three starting points.</summary>
    public static IReadOnlyList<(double X1, double X2)> Starts { get; } = [(-8.5, 7.5), (-8.5, -5.0), (9.0, 9.0)];

    /// <summary>x₂ of the Pareto set, as drawn by the authors.</summary>
    public const double ParetoX2 = -8.3552;

    /// <summary>Evaluates f₁, f₂ and their gradients at (x₁, x₂).</summary>
    /// <param name="x1">First coordinate.</param>
    /// <param name="x2">Second coordinate.</param>
    /// <param name="gradient1">Receives ∇f₁ (length 2).</param>
    /// <param name="gradient2">Receives ∇f₂ (length 2).</param>
    /// <returns>(f₁, f₂).</returns>
    public static (double F1, double F2) Evaluate(double x1, double x2, Span<double> gradient1, Span<double> gradient2)
    {
        double t = Math.Tanh(x2 / 2.0);
        double c1 = Math.Max(t, 0.0);
        double c2 = Math.Max(-t, 0.0);
        double dc1 = t > 0.0 ? 0.5 * (1.0 - (t * t)) : 0.0;
        double dc2 = t < 0.0 ? -0.5 * (1.0 - (t * t)) : 0.0;

        double tm = Math.Tanh(-x2);
        double dtm = -(1.0 - (tm * tm)); // d tanh(−x₂)/dx₂

        // Logarithmic parts: log max(|u|, Lower) + 6 with u linear in x₁ and tanh(−x₂).
        double u1 = (0.5 * (-x1 - 7.0)) - tm;
        var (log1, dlog1) = ClampedLog(u1);
        double g1x1 = dlog1 * -0.5, g1x2 = dlog1 * -dtm;
        double u2 = (0.5 * (-x1 + 3.0)) + tm + 2.0;
        var (log2, dlog2) = ClampedLog(u2);
        double g2x1 = dlog2 * -0.5, g2x2 = dlog2 * dtm;

        // Quadratic parts.
        double q1 = ((((-x1) + 7.0) * ((-x1) + 7.0)) + (0.1 * (x2 + 8.0) * (x2 + 8.0))) / 10.0 - 20.0;
        double q2 = (((x1 + 7.0) * (x1 + 7.0)) + (0.1 * (x2 + 8.0) * (x2 + 8.0))) / 10.0 - 20.0;
        double q1x1 = -2.0 * (7.0 - x1) / 10.0, q2x1 = 2.0 * (x1 + 7.0) / 10.0;
        double qx2 = 0.2 * (x2 + 8.0) / 10.0;

        double f1 = (c1 * log1) + (c2 * q1);
        double f2 = (c1 * log2) + (c2 * q2);
        gradient1[0] = (c1 * g1x1) + (c2 * q1x1);
        gradient1[1] = (dc1 * log1) + (c1 * g1x2) + (dc2 * q1) + (c2 * qx2);
        gradient2[0] = (c1 * g2x1) + (c2 * q2x1);
        gradient2[1] = (dc1 * log2) + (c1 * g2x2) + (dc2 * q2) + (c2 * qx2);
        return (f1, f2);
    }

    /// <summary>(log max(|u|, Lower) + 6, its derivative in u).</summary>
    private static (double Value, double Derivative) ClampedLog(double u)
    {
        double magnitude = Math.Abs(u);
        return magnitude > Lower ? (Math.Log(magnitude) + 6.0, 1.0 / u) : (Math.Log(Lower) + 6.0, 0.0);
    }
}
