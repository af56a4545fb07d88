using Pama.Statistics;

namespace Pama.FineTune.Reporting;

/// <summary>A mean and a standard deviation over seeds, as written to <c>summary.json</c>.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Sample standard deviation (divisor <c>n - 1</c>); 0 for a single value.</param>
public sealed record MeanStd(double Mean, double Std)
{
    /// <summary>Mean and sample standard deviation of <paramref name="values"/>, from the library's <see cref="ObjectiveAccumulator"/> (Welford).</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("Mean and standard deviation need at least one value.", nameof(values));
        var accumulator = new ObjectiveAccumulator();
        accumulator.AddRange([.. values]);
        return new MeanStd(accumulator.Mean, accumulator.Count > 1 ? Math.Sqrt(accumulator.SampleVariance) : 0.0);
    }
}
