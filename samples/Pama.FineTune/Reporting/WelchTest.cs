using MathNet.Numerics.Distributions;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Welch's unequal-variance t-test of two independent samples (per-seed results of two methods):
/// <c>t = (m₁ − m₂) / √(s₁²/n₁ + s₂²/n₂)</c>, Welch–Satterthwaite degrees of freedom, two-sided p from Student's t
/// (MathNet.Numerics).
/// </summary>
/// <param name="Difference">Mean of the first sample minus mean of the second.</param>
/// <param name="T">The t statistic (±∞ when both samples have zero spread but different means, 0 when they are identical constants).</param>
/// <param name="DegreesOfFreedom">Welch–Satterthwaite degrees of freedom (NaN when both samples have zero spread).</param>
/// <param name="P">Two-sided p-value.</param>
public sealed record WelchTest(double Difference, double T, double DegreesOfFreedom, double P)
{
    /// <summary>Tests whether the means of <paramref name="first"/> and <paramref name="second"/> differ.</summary>
    /// <exception cref="ArgumentException">A sample has fewer than two values.</exception>
    public static WelchTest Of(IReadOnlyList<double> first, IReadOnlyList<double> second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count < 2 || second.Count < 2)
            throw new ArgumentException($"Welch's t-test needs at least two values per sample, got {first.Count} and {second.Count}.");
        MeanStd a = MeanStd.Of(first), b = MeanStd.Of(second);
        double va = a.Std * a.Std / first.Count, vb = b.Std * b.Std / second.Count;
        double difference = a.Mean - b.Mean;
        double variance = va + vb;
        if (variance == 0)
        {
            // No spread at all: the difference is either exact or absent.
            return difference == 0 ? new WelchTest(0, 0, double.NaN, 1.0) : new WelchTest(difference, Math.CopySign(double.PositiveInfinity, difference), double.NaN, 0.0);
        }

        double t = difference / Math.Sqrt(variance);
        double df = variance * variance / (va * va / (first.Count - 1) + vb * vb / (second.Count - 1));
        double p = 2.0 * StudentT.CDF(0.0, 1.0, df, -Math.Abs(t));
        return new WelchTest(difference, t, df, Math.Min(1.0, p));
    }
}
