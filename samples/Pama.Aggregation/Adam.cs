namespace Pama.Aggregation;

/// <summary>Adam (Kingma and Ba 2015) on a small vector, with PyTorch's defaults β = (0.9, 0.999), ε = 1e-8, as in the authors' toy runs.</summary>
/// <param name="dimension">Number of coordinates.</param>
/// <param name="learningRate">Step size.</param>
public sealed class Adam(int dimension, double learningRate)
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private readonly double[] first = new double[dimension];
    private readonly double[] second = new double[dimension];
    private int step;

    /// <summary>One update of <paramref name="x"/> along −<paramref name="gradient"/>.</summary>
    /// <param name="x">Parameters, updated in place.</param>
    /// <param name="gradient">The direction to descend.</param>
    public void Step(Span<double> x, ReadOnlySpan<double> gradient)
    {
        step++;
        double correction1 = 1.0 - Math.Pow(Beta1, step);
        double correction2 = 1.0 - Math.Pow(Beta2, step);
        for (int k = 0; k < x.Length; k++)
        {
            first[k] = (Beta1 * first[k]) + ((1.0 - Beta1) * gradient[k]);
            second[k] = (Beta2 * second[k]) + ((1.0 - Beta2) * gradient[k] * gradient[k]);
            double denominator = (Math.Sqrt(second[k]) / Math.Sqrt(correction2)) + Epsilon;
            x[k] -= learningRate / correction1 * first[k] / denominator;
        }
    }
}
