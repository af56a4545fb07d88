using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Pama;

/// <content>Batched Theorem 1: many independent problems, four rows at a time in SIMD lanes.</content>
public static partial class PamaSolver
{
    private const int LaneCount = 4;

    /// <summary>
    /// Solves many independent PAMA problems (Theorem 1, He and Maghsudi 2025) and writes only s*
    /// per row. Allocation-free and vectorized.
    /// </summary>
    /// <param name="statistics">Row-major [rows × <paramref name="objectiveCount"/>] statistics, all finite.</param>
    /// <param name="objectiveCount">n, the number of objectives per row (≥ 1).</param>
    /// <param name="values">Receives s* of each row; its length must equal the row count.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// A length does not match, or a statistic is NaN or ±∞ (the message names the row and the objective).
    /// On an exception the contents of <paramref name="values"/> are unspecified.
    /// </exception>
    public static void SolveBatch(ReadOnlySpan<double> statistics, int objectiveCount, Span<double> values)
    {
        int rows = CheckBatchShape(statistics, objectiveCount, values);
        int n = objectiveCount;
        ref double src = ref MemoryMarshal.GetReference(statistics);
        ref double dst = ref MemoryMarshal.GetReference(values);
        int row = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; row <= rows - LaneCount; row += LaneCount)
            {
                ref double block = ref Unsafe.Add(ref src, row * n);
                if (!TryBlockMinMax(ref block, n, out var min, out var max))
                {
                    ThrowBlockNonFinite(statistics, n, row);
                }

                ProjectBlock(min, max).StoreUnsafe(ref dst, (nuint)row);
            }
        }

        for (; row < rows; row++)
        {
            var rowStatistics = statistics.Slice(row * n, n);
            if (!TryMinMax(rowStatistics, out double min, out double max))
            {
                ThrowNonFinite(rowStatistics, row);
            }

            Unsafe.Add(ref dst, row) = Project(min, max);
        }
    }

    /// <summary>
    /// Solves many independent PAMA problems (Theorem 1, He and Maghsudi 2025), writing s* and the
    /// optimal simplex weights of every row. Each row's result equals
    /// <see cref="Solve(ReadOnlySpan{double}, Span{double})"/> on that row exactly. Allocation-free and
    /// vectorized (four rows per 256-bit vector, column by column).
    /// </summary>
    /// <param name="statistics">Row-major [rows × <paramref name="objectiveCount"/>] statistics, all finite.</param>
    /// <param name="objectiveCount">n, the number of objectives per row (≥ 1).</param>
    /// <param name="values">Receives s* of each row; its length must equal the row count.</param>
    /// <param name="weights">Receives row-major [rows × n] weights; same length as <paramref name="statistics"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// A length does not match, or a statistic is NaN or ±∞ (the message names the row and the objective).
    /// On an exception the contents of <paramref name="values"/> and <paramref name="weights"/> are unspecified.
    /// </exception>
    public static void SolveBatch(
        ReadOnlySpan<double> statistics, int objectiveCount, Span<double> values, Span<double> weights)
    {
        int rows = CheckBatchShape(statistics, objectiveCount, values);
        if (weights.Length != statistics.Length)
        {
            throw new ArgumentException(
                $"The weights span has length {weights.Length} but the statistics have {statistics.Length} entries ({rows} rows of {objectiveCount}).",
                nameof(weights));
        }

        int n = objectiveCount;
        ref double src = ref MemoryMarshal.GetReference(statistics);
        ref double dst = ref MemoryMarshal.GetReference(weights);
        ref double valueDst = ref MemoryMarshal.GetReference(values);
        int row = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; row <= rows - LaneCount; row += LaneCount)
            {
                ref double block = ref Unsafe.Add(ref src, row * n);
                if (!TryBlockMinMax(ref block, n, out var min, out var max))
                {
                    ThrowBlockNonFinite(statistics, n, row);
                }

                ProjectBlock(min, max).StoreUnsafe(ref valueDst, (nuint)row);
                WriteBlockWeights(ref block, n, min, max, ref Unsafe.Add(ref dst, row * n));
            }
        }

        for (; row < rows; row++)
        {
            var rowStatistics = statistics.Slice(row * n, n);
            if (!TryMinMax(rowStatistics, out double min, out double max))
            {
                ThrowNonFinite(rowStatistics, row);
            }

            Unsafe.Add(ref valueDst, row) = WriteWeights(rowStatistics, min, max, weights.Slice(row * n, n));
        }
    }

    private static int CheckBatchShape(ReadOnlySpan<double> statistics, int objectiveCount, Span<double> values)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        if (statistics.Length % objectiveCount != 0)
        {
            throw new ArgumentException(
                $"The statistics span has length {statistics.Length}, which is not a multiple of objectiveCount = {objectiveCount}.",
                nameof(statistics));
        }

        int rows = statistics.Length / objectiveCount;
        if (values.Length != rows)
        {
            throw new ArgumentException(
                $"The values span has length {values.Length} but there are {rows} rows.", nameof(values));
        }

        return rows;
    }

    /// <summary>Gathers column j of the four rows starting at <paramref name="block"/> into one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Column(ref double block, int n, int j) =>
        Vector256.Create(
            Unsafe.Add(ref block, j),
            Unsafe.Add(ref block, n + j),
            Unsafe.Add(ref block, (2 * n) + j),
            Unsafe.Add(ref block, (3 * n) + j));

    /// <summary>Per-lane min and max of four rows; false if any entry is NaN or ±∞.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryBlockMinMax(ref double block, int n, out Vector256<double> min, out Vector256<double> max)
    {
        var first = Column(ref block, n, 0);
        min = first;
        max = first;
        var probe = first * Vector256<double>.Zero;
        for (int j = 1; j < n; j++)
        {
            var v = Column(ref block, n, j);
            min = Vector256.MinNative(min, v);
            max = Vector256.MaxNative(max, v);
            probe += v * Vector256<double>.Zero;
        }

        return Vector256.EqualsAll(probe, Vector256<double>.Zero);
    }

    /// <summary>Lane-wise <see cref="Project"/>: min if min &gt; 0, max if max &lt; 0, else +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> ProjectBlock(Vector256<double> min, Vector256<double> max)
    {
        var zero = Vector256<double>.Zero;
        return Vector256.ConditionalSelect(
            Vector256.GreaterThan(min, zero),
            min,
            Vector256.LessThan(max, zero) & max);
    }

    /// <summary>
    /// Lane-wise <see cref="WriteWeights"/> for four rows. Each lane performs the same IEEE operations
    /// as the scalar path (1/k, share/k, the same mixing-fraction formulas), so results are bitwise equal.
    /// </summary>
    private static void WriteBlockWeights(
        ref double block, int n, Vector256<double> min, Vector256<double> max, ref double weights)
    {
        var zero = Vector256<double>.Zero;
        var one = Vector256<double>.One;
        var minCount = zero;
        var maxCount = zero;
        var zeroCount = zero;
        for (int j = 0; j < n; j++)
        {
            var v = Column(ref block, n, j);
            minCount += Vector256.Equals(v, min) & one;
            maxCount += Vector256.Equals(v, max) & one;
            zeroCount += Vector256.Equals(v, zero) & one;
        }

        var positive = Vector256.GreaterThan(min, zero);
        var negative = Vector256.LessThan(max, zero);
        var hasZero = Vector256.GreaterThan(zeroCount, zero);
        var twoPoint = ~(positive | negative | hasZero);

        // Mixing fractions, both branches of MixFractions evaluated; lanes pick theirs.
        var ratioBranch = Vector256.LessThanOrEqual(-min, max);
        var r = -min / max;
        var q = -max / min;
        var minShare = Vector256.ConditionalSelect(ratioBranch, one / (one + r), q / (one + q));
        var maxShare = Vector256.ConditionalSelect(ratioBranch, r / (one + r), one / (one + q));

        var minWeight = Vector256.ConditionalSelect(
            positive, one / minCount, twoPoint & (minShare / minCount));
        var maxWeight = Vector256.ConditionalSelect(
            negative, one / maxCount, twoPoint & (maxShare / maxCount));
        var zeroWeight = hasZero & (one / zeroCount);

        for (int j = 0; j < n; j++)
        {
            var v = Column(ref block, n, j);

            // Zero entries win (mixed case with zeros); otherwise argmin share + argmax share, where at
            // most one of the two is non-zero for any entry, so the addition is exact.
            var w = Vector256.ConditionalSelect(
                Vector256.Equals(v, zero),
                zeroWeight,
                (Vector256.Equals(v, min) & minWeight) + (Vector256.Equals(v, max) & maxWeight));
            Unsafe.Add(ref weights, j) = w.GetElement(0);
            Unsafe.Add(ref weights, n + j) = w.GetElement(1);
            Unsafe.Add(ref weights, (2 * n) + j) = w.GetElement(2);
            Unsafe.Add(ref weights, (3 * n) + j) = w.GetElement(3);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBlockNonFinite(ReadOnlySpan<double> statistics, int n, int firstRow)
    {
        for (int row = firstRow; row < firstRow + LaneCount; row++)
        {
            var rowStatistics = statistics.Slice(row * n, n);
            if (!TryMinMax(rowStatistics, out _, out _))
            {
                ThrowNonFinite(rowStatistics, row);
            }
        }
    }
}
