namespace Pama.FineTune.Reporting;

/// <summary>A mean and a standard deviation over seeds.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Sample standard deviation (divisor <c>n - 1</c>); 0 for a single value.</param>
public sealed record MeanStd(double Mean, double Std)
{
    /// <summary>Mean and sample standard deviation of <paramref name="values"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("Mean and standard deviation need at least one value.", nameof(values));
        double mean = values.Average();
        if (values.Count == 1) return new MeanStd(mean, 0.0);
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return new MeanStd(mean, Math.Sqrt(squares / (values.Count - 1)));
    }
}
