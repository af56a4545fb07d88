namespace Pama.Benchmarks;

/// <summary>
/// Summaries of paired timings: each round times every compared variant back to back, and a variant is
/// reported by its per-round ratio to variant 0, which cancels the drift of a shared, busy machine.
/// </summary>
internal static class PairedTimes
{
    /// <summary>Per-round ratios of variant <paramref name="c"/>'s times to variant 0's.</summary>
    public static IEnumerable<double> Ratios(List<double>[] times, int c) => times[c].Zip(times[0], (x, baseline) => x / baseline);

    /// <summary>The mean and its standard error, as <c>mean±error</c>.</summary>
    public static string MeanAndError(IEnumerable<double> values)
    {
        double[] v = [.. values];
        double mean = v.Average();
        double standardError = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1) / v.Length) : double.NaN;
        return $"{mean:F4}±{standardError:F4}";
    }

    /// <summary>The median (mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
