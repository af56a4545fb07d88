using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pama;

/// <summary>
/// Closed-form solver of the PAMA weighting problem (He and Maghsudi 2025, "Pareto Multi-Objective
/// Alignment for Language Models", ECML-PKDD, arXiv 2508.07768, Theorem 1).
/// </summary>
/// <remarks>
/// <para>
/// Given one scalar statistic aᵢ per objective (for Noon PPO, the masked mean of
/// max(Aᵢₜ, 0)·1[uₜ ≤ 1+ε]; see <see cref="Statistics.NoonStatistic"/>), PAMA replaces the
/// MGDA min-norm problem min_{c∈Δ} ‖Σᵢ cᵢ ∇Lᵢ‖² by its scalar upper-bound problem
/// </para>
/// <code>min over c in the simplex Δ of (Σᵢ cᵢ aᵢ)²</code>
/// <para>
/// Theorem 1: the optimal s* = Σᵢ cᵢ aᵢ is the projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ]. The weights
/// returned here attain it:
/// </para>
/// <list type="bullet">
/// <item>all aᵢ &gt; 0: s* = minᵢ aᵢ, all mass on the argmin (ties split evenly);</item>
/// <item>all aᵢ &lt; 0: s* = maxᵢ aᵢ, all mass on the argmax (ties split evenly);</item>
/// <item>otherwise s* = 0: if some aᵢ is exactly 0 the mass is split evenly over the zero entries;
/// else a two-point mix c_min = a_max / (a_max − a_min) on the argmin entries and
/// c_max = −a_min / (a_max − a_min) on the argmax entries (each split evenly among ties), so that
/// Σᵢ cᵢ aᵢ = 0.</item>
/// </list>
/// <para>
/// The mixing fractions are computed from the ratio of the smaller to the larger magnitude, so
/// statistics near ±1e308 (where a_max − a_min would overflow) and subnormal statistics are handled.
/// The cost is O(n) and the span overloads allocate nothing.
/// </para>
/// </remarks>
public static partial class PamaSolver
{
    /// <summary>
    /// Solves Theorem 1 for one set of per-objective statistics and returns s* and the weights.
    /// </summary>
    /// <param name="statistics">One finite statistic aᵢ per objective; at least one.</param>
    /// <returns>s* (projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ]) and the optimal simplex weights c.</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="statistics"/> is empty or holds NaN or ±∞ (the message names the objective index).
    /// </exception>
    public static PamaSolution Solve(ReadOnlySpan<double> statistics)
    {
        var weights = new double[statistics.Length];
        double value = Solve(statistics, weights);
        return new PamaSolution(value, weights);
    }

    /// <summary>
    /// Solves Theorem 1 for one set of per-objective statistics, writing the optimal simplex weights c
    /// into <paramref name="weights"/> and returning s* = Σᵢ cᵢ aᵢ. Allocates nothing.
    /// </summary>
    /// <param name="statistics">One finite statistic aᵢ per objective; at least one.</param>
    /// <param name="weights">Receives cᵢ ≥ 0 with Σᵢ cᵢ = 1; must have the same length as <paramref name="statistics"/>.</param>
    /// <returns>s*, the projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ].</returns>
    /// <exception cref="ArgumentException">
    /// <paramref name="statistics"/> is empty or holds NaN or ±∞ (the message names the objective index),
    /// or <paramref name="weights"/> has a different length.
    /// </exception>
    public static double Solve(ReadOnlySpan<double> statistics, Span<double> weights)
    {
        if (statistics.IsEmpty)
        {
            ThrowEmpty();
        }

        if (weights.Length != statistics.Length)
        {
            ThrowWeightsLength(statistics.Length, weights.Length);
        }

        if (!TryMinMax(statistics, out double min, out double max))
        {
            ThrowNonFinite(statistics, row: -1);
        }

        return WriteWeights(statistics, min, max, weights);
    }

    /// <summary>
    /// Returns s* = projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ] (Theorem 1) without computing weights.
    /// </summary>
    /// <param name="statistics">One finite statistic aᵢ per objective; at least one.</param>
    /// <returns>s*.</returns>
    /// <exception cref="ArgumentException"><paramref name="statistics"/> is empty or holds NaN or ±∞.</exception>
    public static double OptimalValue(ReadOnlySpan<double> statistics)
    {
        if (statistics.IsEmpty)
        {
            ThrowEmpty();
        }

        if (!TryMinMax(statistics, out double min, out double max))
        {
            ThrowNonFinite(statistics, row: -1);
        }

        return Project(min, max);
    }

    /// <summary>Projection of 0 onto [min, max]; returns +0.0 when the interval contains 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static double Project(double min, double max) => min > 0.0 ? min : max < 0.0 ? max : 0.0;

    /// <summary>
    /// Total weights of the argmin and argmax sets in the mixed-sign case (min &lt; 0 &lt; max):
    /// c_min = max / (max − min) and c_max = −min / (max − min), computed through the ratio r ≤ 1 of the
    /// smaller to the larger magnitude so that nothing overflows: the extreme of larger magnitude gets
    /// r / (1 + r), the other 1 / (1 + r). For example, with −min ≤ max, r = −min / max and
    /// c_min = 1 / (1 + r) = max / (max − min).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void MixFractions(double min, double max, out double minShare, out double maxShare)
    {
        if (-min <= max)
        {
            double r = -min / max;
            minShare = 1.0 / (1.0 + r);
            maxShare = r / (1.0 + r);
        }
        else
        {
            double q = -max / min;
            minShare = q / (1.0 + q);
            maxShare = 1.0 / (1.0 + q);
        }
    }

    /// <summary>Writes Theorem 1's weights for validated statistics with known extremes; returns s*.</summary>
    internal static double WriteWeights(ReadOnlySpan<double> a, double min, double max, Span<double> weights)
    {
        CountExtremes(a, min, max, out int minCount, out int maxCount, out int zeroCount);
        if (min > 0.0)
        {
            WriteShare(a, min, 1.0 / minCount, weights);
            return min;
        }

        if (max < 0.0)
        {
            WriteShare(a, max, 1.0 / maxCount, weights);
            return max;
        }

        if (zeroCount > 0)
        {
            WriteShare(a, 0.0, 1.0 / zeroCount, weights);
            return 0.0;
        }

        MixFractions(min, max, out double minShare, out double maxShare);
        WriteTwoPoint(a, min, minShare / minCount, max, maxShare / maxCount, weights);
        return 0.0;
    }

    /// <summary>
    /// Minimum and maximum of a non-empty span; false if any entry is NaN or ±∞
    /// (detected branch-free: Σ aᵢ·0 is ±0 for finite entries and NaN otherwise).
    /// </summary>
    internal static bool TryMinMax(ReadOnlySpan<double> a, out double min, out double max)
    {
        ref double start = ref MemoryMarshal.GetReference(a);
        int n = a.Length;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var vmin = Vector256.LoadUnsafe(ref start);
            var vmax = vmin;
            var probe = vmin * Vector256<double>.Zero;
            int i = Vector256<double>.Count;
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                vmin = Vector256.MinNative(vmin, v);
                vmax = Vector256.MaxNative(vmax, v);
                probe += v * Vector256<double>.Zero;
            }

            if (i < n)
            {
                // Overlapping final load: min, max and the probe are idempotent.
                var v = Vector256.LoadUnsafe(ref start, (nuint)(n - Vector256<double>.Count));
                vmin = Vector256.MinNative(vmin, v);
                vmax = Vector256.MaxNative(vmax, v);
                probe += v * Vector256<double>.Zero;
            }

            min = Math.Min(Math.Min(vmin[0], vmin[1]), Math.Min(vmin[2], vmin[3]));
            max = Math.Max(Math.Max(vmax[0], vmax[1]), Math.Max(vmax[2], vmax[3]));
            return Vector256.Sum(probe) == 0.0;
        }

        double lo = start;
        double hi = start;
        double scalarProbe = start * 0.0;
        for (int i = 1; i < n; i++)
        {
            double x = Unsafe.Add(ref start, i);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            scalarProbe += x * 0.0;
        }

        min = lo;
        max = hi;
        return scalarProbe == 0.0;
    }

    /// <summary>
    /// In one pass, the number of entries equal to <paramref name="min"/>, to <paramref name="max"/> and to 0
    /// (−0 equals +0).
    /// </summary>
    internal static void CountExtremes(
        ReadOnlySpan<double> a, double min, double max, out int minCount, out int maxCount, out int zeroCount)
    {
        ref double start = ref MemoryMarshal.GetReference(a);
        int n = a.Length;
        int i = 0;
        long mins = 0;
        long maxes = 0;
        long zeros = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var minVector = Vector256.Create(min);
            var maxVector = Vector256.Create(max);
            var minAcc = Vector256<long>.Zero;
            var maxAcc = Vector256<long>.Zero;
            var zeroAcc = Vector256<long>.Zero;
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                // A true comparison lane is all ones, i.e. −1 as an integer.
                var v = Vector256.LoadUnsafe(ref start, (nuint)i);
                minAcc -= Vector256.Equals(v, minVector).AsInt64();
                maxAcc -= Vector256.Equals(v, maxVector).AsInt64();
                zeroAcc -= Vector256.Equals(v, Vector256<double>.Zero).AsInt64();
            }

            mins = Vector256.Sum(minAcc);
            maxes = Vector256.Sum(maxAcc);
            zeros = Vector256.Sum(zeroAcc);
        }

        for (; i < n; i++)
        {
            double x = Unsafe.Add(ref start, i);
            mins += x == min ? 1 : 0;
            maxes += x == max ? 1 : 0;
            zeros += x == 0.0 ? 1 : 0;
        }

        minCount = (int)mins;
        maxCount = (int)maxes;
        zeroCount = (int)zeros;
    }

    /// <summary>weightsᵢ = share where aᵢ == value, else 0.</summary>
    private static void WriteShare(ReadOnlySpan<double> a, double value, double share, Span<double> weights)
    {
        ref double src = ref MemoryMarshal.GetReference(a);
        ref double dst = ref MemoryMarshal.GetReference(weights);
        int n = a.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var target = Vector256.Create(value);
            var shareVector = Vector256.Create(share);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var hit = Vector256.Equals(Vector256.LoadUnsafe(ref src, (nuint)i), target);
                (hit & shareVector).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i) == value ? share : 0.0;
        }
    }

    /// <summary>weightsᵢ = minShare where aᵢ == min, maxShare where aᵢ == max, else 0 (min ≠ max).</summary>
    private static void WriteTwoPoint(
        ReadOnlySpan<double> a, double min, double minShare, double max, double maxShare, Span<double> weights)
    {
        ref double src = ref MemoryMarshal.GetReference(a);
        ref double dst = ref MemoryMarshal.GetReference(weights);
        int n = a.Length;
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var minVector = Vector256.Create(min);
            var maxVector = Vector256.Create(max);
            var minShareVector = Vector256.Create(minShare);
            var maxShareVector = Vector256.Create(maxShare);
            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                var v = Vector256.LoadUnsafe(ref src, (nuint)i);
                var w = (Vector256.Equals(v, minVector) & minShareVector) | (Vector256.Equals(v, maxVector) & maxShareVector);
                w.StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            double x = Unsafe.Add(ref src, i);
            Unsafe.Add(ref dst, i) = x == min ? minShare : x == max ? maxShare : 0.0;
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowEmpty() =>
        throw new ArgumentException("At least one objective statistic is required.", "statistics");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWeightsLength(int expected, int actual) =>
        throw new ArgumentException(
            $"The weights span has length {actual} but there are {expected} objectives.", "weights");

    /// <summary>Finds the first non-finite statistic and throws naming it (and its row when row ≥ 0).</summary>
    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowNonFinite(ReadOnlySpan<double> a, int row)
    {
        for (int i = 0; i < a.Length; i++)
        {
            if (!double.IsFinite(a[i]))
            {
                string where = row < 0 ? $"objective {i}" : $"objective {i} in row {row}";
                throw new ArgumentException($"Statistic of {where} is {Describe(a[i])}.", "statistics");
            }
        }

        throw new ArgumentException("Statistics contain a non-finite value.", "statistics");
    }

    internal static string Describe(double x) =>
        double.IsNaN(x) ? "NaN" : x > 0 ? "positive infinity" : "negative infinity";
}
