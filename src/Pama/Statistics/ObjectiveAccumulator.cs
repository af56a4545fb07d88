namespace Pama.Statistics;

/// <summary>
/// Running count, sum, mean and variance of one objective's values (for instance the Noon
/// contributions Iₜ of <see cref="NoonStatistic.Contribution"/> over masked tokens, or per-sequence
/// rewards), mergeable across micro-batches and data-parallel workers.
/// </summary>
/// <remarks>
/// <para>
/// Single values use Welford's update (Welford 1962): with δ = x − x̄, x̄ ← x̄ + δ/n and
/// M₂ ← M₂ + δ (x − x̄). Spans are reduced by a two-pass mean and M₂ (more accurate than one pass)
/// and then merged.
/// Two accumulators (n_A, x̄_A, M₂_A) and (n_B, x̄_B, M₂_B) merge by the parallel formula of
/// Chan, Golub and LeVeque (1979):
/// </para>
/// <code>
/// n = n_A + n_B,  x̄ = x̄_A·(n_A/n) + x̄_B·(n_B/n),  M₂ = M₂_A + M₂_B + (x̄_B − x̄_A)²·n_A·n_B/n
/// </code>
/// <para>
/// The mean update is symmetric in A and B, so merging in any order or grouping gives the same mean
/// up to rounding. Population variance is M₂/n; sample variance is M₂/(n−1).
/// It is a class (not a struct) so that copies never silently fork the state; it is not thread-safe:
/// use one accumulator per worker and <see cref="Merge"/> them. Values must be finite and their
/// differences and squares representable in float64 (|x| well below 1e154).
/// </para>
/// </remarks>
public sealed class ObjectiveAccumulator
{
    private long count;
    private double mean;
    private double m2;
    private double sum;

    /// <summary>Number of values added (including merged ones).</summary>
    public long Count => count;

    /// <summary>Σ x of all values added (plain float64 running sum; 0 when empty).</summary>
    public double Sum => sum;

    /// <summary>The mean x̄ = Σ x / n.</summary>
    /// <exception cref="InvalidOperationException">No value has been added.</exception>
    public double Mean => count > 0 ? mean : throw Empty(nameof(Mean));

    /// <summary>Population variance M₂ / n (never negative).</summary>
    /// <exception cref="InvalidOperationException">No value has been added.</exception>
    public double Variance => count > 0 ? Math.Max(m2, 0.0) / count : throw Empty(nameof(Variance));

    /// <summary>Sample (unbiased) variance M₂ / (n − 1) (never negative).</summary>
    /// <exception cref="InvalidOperationException">Fewer than two values have been added.</exception>
    public double SampleVariance => count > 1
        ? Math.Max(m2, 0.0) / (count - 1)
        : throw new InvalidOperationException($"{nameof(SampleVariance)} needs at least two values; the accumulator holds {count}.");

    /// <summary>Adds one value (Welford update).</summary>
    /// <param name="value">A finite value.</param>
    /// <exception cref="ArgumentException"><paramref name="value"/> is NaN or ±∞.</exception>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException($"Value is {PamaSolver.Describe(value)}.", nameof(value));
        }

        count++;
        double delta = value - mean;
        mean += delta / count;
        m2 += delta * (value - mean);
        sum += value;
    }

    /// <summary>
    /// Adds all values of a span: two-pass mean and M₂ of the span, then a Chan et al. merge.
    /// </summary>
    /// <param name="values">Finite values; nothing changes if any is invalid.</param>
    /// <exception cref="ArgumentException">A value is NaN or ±∞ (the message names its index).</exception>
    public void AddRange(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        double spanSum = 0.0;
        for (int i = 0; i < values.Length; i++)
        {
            double x = values[i];
            if (!double.IsFinite(x))
            {
                throw new ArgumentException($"Value at index {i} is {PamaSolver.Describe(x)}.", nameof(values));
            }

            spanSum += x;
        }

        double spanMean = spanSum / values.Length;
        double spanM2 = 0.0;
        for (int i = 0; i < values.Length; i++)
        {
            double d = values[i] - spanMean;
            spanM2 += d * d;
        }

        Combine(values.Length, spanMean, spanM2, spanSum);
    }

    /// <summary>Merges another accumulator into this one (Chan, Golub and LeVeque 1979); <paramref name="other"/> is unchanged.</summary>
    /// <param name="other">The accumulator to absorb (may be this instance: the data are then counted twice).</param>
    public void Merge(ObjectiveAccumulator other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Combine(other.count, other.mean, other.m2, other.sum);
    }

    /// <summary>Forgets all values.</summary>
    public void Reset()
    {
        count = 0;
        mean = 0.0;
        m2 = 0.0;
        sum = 0.0;
    }

    private void Combine(long otherCount, double otherMean, double otherM2, double otherSum)
    {
        if (otherCount == 0)
        {
            return;
        }

        if (count == 0)
        {
            (count, mean, m2, sum) = (otherCount, otherMean, otherM2, otherSum);
            return;
        }

        long total = count + otherCount;
        double share = (double)count / total;
        double otherShare = (double)otherCount / total;
        double delta = otherMean - mean;
        mean = (mean * share) + (otherMean * otherShare);
        m2 = m2 + otherM2 + (delta * delta * share * otherCount);
        sum += otherSum;
        count = total;
    }

    private static InvalidOperationException Empty(string property) =>
        new($"{property} is undefined: the accumulator holds no values.");
}
