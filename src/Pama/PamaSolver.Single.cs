namespace Pama;

/// <content>Single-precision overload of Theorem 1 for callers holding float32 statistics.</content>
public static partial class PamaSolver
{
    /// <summary>
    /// Solves Theorem 1 (He and Maghsudi 2025) for float32 statistics: writes the optimal simplex weights
    /// into <paramref name="weights"/> and returns s*, the projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ].
    /// The shares are computed in float64 and rounded once, so the result equals the float64
    /// <see cref="Solve(ReadOnlySpan{double}, Span{double})"/> on the widened statistics, rounded to float32.
    /// Allocates nothing.
    /// </summary>
    /// <param name="statistics">One finite statistic aᵢ per objective; at least one.</param>
    /// <param name="weights">Receives cᵢ ≥ 0 with Σᵢ cᵢ = 1 up to float32 rounding; same length as <paramref name="statistics"/>.</param>
    /// <returns>s*.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="statistics"/> is empty or holds NaN or ±∞ (the message names the objective index),
    /// or <paramref name="weights"/> has a different length.
    /// </exception>
    public static float Solve(ReadOnlySpan<float> statistics, Span<float> weights)
    {
        if (statistics.IsEmpty)
        {
            ThrowEmpty();
        }

        if (weights.Length != statistics.Length)
        {
            ThrowWeightsLength(statistics.Length, weights.Length);
        }

        float min = statistics[0];
        float max = statistics[0];
        for (int i = 0; i < statistics.Length; i++)
        {
            float x = statistics[i];
            if (!float.IsFinite(x))
            {
                throw new ArgumentException($"Statistic of objective {i} is {Describe(x)}.", nameof(statistics));
            }

            min = x < min ? x : min;
            max = x > max ? x : max;
        }

        int minCount = 0;
        int maxCount = 0;
        int zeroCount = 0;
        foreach (float x in statistics)
        {
            minCount += x == min ? 1 : 0;
            maxCount += x == max ? 1 : 0;
            zeroCount += x == 0f ? 1 : 0;
        }

        // The same case analysis and float64 operations as WriteWeights, on exactly widened extremes.
        double minWeight = 0.0;
        double maxWeight = 0.0;
        double zeroWeight = 0.0;
        if (min > 0f)
        {
            minWeight = 1.0 / minCount;
        }
        else if (max < 0f)
        {
            maxWeight = 1.0 / maxCount;
        }
        else if (zeroCount > 0)
        {
            zeroWeight = 1.0 / zeroCount;
        }
        else
        {
            MixFractions(min, max, out double minShare, out double maxShare);
            minWeight = minShare / minCount;
            maxWeight = maxShare / maxCount;
        }

        for (int i = 0; i < statistics.Length; i++)
        {
            float x = statistics[i];
            double w = x == 0f ? zeroWeight : (x == min ? minWeight : 0.0) + (x == max ? maxWeight : 0.0);
            weights[i] = (float)w;
        }

        return (float)Project(min, max);
    }
}
