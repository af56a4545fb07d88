namespace Pama.Pareto;

/// <summary>
/// The exact hypervolume of a set of points over a reference point, for any number of objectives, all maximised:
/// the Lebesgue measure of ⋃ₚ [r, p], the region between the reference r and the points p (Zitzler and Thiele 1998,
/// "Multiobjective Optimization Using Evolutionary Algorithms: A Comparative Case Study", PPSN V).
/// </summary>
/// <remarks>
/// <para>
/// A point contributes only where it strictly dominates the reference (pᵢ &gt; rᵢ in every objective); the others,
/// dominated and duplicate points add nothing. The computation is the slicing (dimension-sweep) algorithm HSO
/// (While, Hingston, Barone and Huband 2006, "A faster algorithm for calculating hypervolume", IEEE TEVC 10(1)):
/// </para>
/// <list type="bullet">
/// <item>one objective: the largest gain maxₚ (p₁ − r₁);</item>
/// <item>two objectives: sort by the first objective, descending, and sum the strips
/// (xₖ − xₖ₊₁) · max_{j ≤ k} yⱼ, an O(n log n) sweep;</item>
/// <item>d objectives: sort by the last objective, descending; between the k-th and (k+1)-th value the cross-section is
/// the (d − 1)-objective hypervolume of the first k points, so the volume is Σₖ (zₖ − zₖ₊₁) · HV_{d−1}(p₁ … pₖ). Points
/// dominated within a slice are dropped before recursing. Three objectives cost O(n² log n).</item>
/// </list>
/// <para>The result is exact up to floating-point rounding of the sums of products (no sampling).</para>
/// </remarks>
public static class Hypervolume
{
    /// <summary>The hypervolume of <paramref name="points"/> over <paramref name="reference"/>, every objective maximised.</summary>
    /// <param name="points">The points, row-major: point k's objective i at <c>k · objectiveCount + i</c>. May be empty.</param>
    /// <param name="objectiveCount">Objectives per point; at least one.</param>
    /// <param name="reference">The reference point, one finite value per objective.</param>
    /// <returns>The measure of the region every point of which is ≥ the reference and ≤ some point, in every objective; 0 for no point that strictly dominates the reference.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is less than one.</exception>
    /// <exception cref="ArgumentException">
    /// <paramref name="reference"/> does not have <paramref name="objectiveCount"/> values, the length of <paramref name="points"/> is
    /// not a multiple of it, or a value is NaN or ±∞ (the message names the point and objective).
    /// </exception>
    public static double Compute(ReadOnlySpan<double> points, int objectiveCount, ReadOnlySpan<double> reference)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(objectiveCount, 1);
        if (reference.Length != objectiveCount)
        {
            throw new ArgumentException($"The reference has {reference.Length} values for {objectiveCount} objectives.", nameof(reference));
        }

        if (points.Length % objectiveCount != 0)
        {
            throw new ArgumentException($"The points hold {points.Length} values, not a multiple of {objectiveCount} objectives.", nameof(points));
        }

        for (int i = 0; i < objectiveCount; i++)
        {
            if (!double.IsFinite(reference[i]))
            {
                throw new ArgumentException($"Objective {i} of the reference is {PamaSolver.Describe(reference[i])}.", nameof(reference));
            }
        }

        int count = points.Length / objectiveCount;
        var gains = new List<double[]>(count);
        for (int k = 0; k < count; k++)
        {
            ReadOnlySpan<double> point = points.Slice(k * objectiveCount, objectiveCount);
            bool dominates = true;
            for (int i = 0; i < objectiveCount; i++)
            {
                if (!double.IsFinite(point[i]))
                {
                    throw new ArgumentException($"Objective {i} of point {k} is {PamaSolver.Describe(point[i])}.", nameof(points));
                }

                dominates &= point[i] > reference[i];
            }

            if (!dominates)
            {
                continue;
            }

            // Relative to the reference, so every box is [0, gain].
            var gain = new double[objectiveCount];
            for (int i = 0; i < objectiveCount; i++)
            {
                gain[i] = point[i] - reference[i];
            }

            gains.Add(gain);
        }

        return Volume(gains, objectiveCount);
    }

    /// <summary>The hypervolume of points given as one array per point.</summary>
    /// <param name="points">The points; each holds one value per objective, as many as <paramref name="reference"/>.</param>
    /// <param name="reference">The reference point; at least one objective.</param>
    /// <returns>As <see cref="Compute(ReadOnlySpan{double}, int, ReadOnlySpan{double})"/>.</returns>
    /// <exception cref="ArgumentException">A point has another number of objectives than the reference (the message names it), or as in <see cref="Compute(ReadOnlySpan{double}, int, ReadOnlySpan{double})"/>.</exception>
    public static double Compute(IReadOnlyList<double[]> points, ReadOnlySpan<double> reference)
    {
        ArgumentNullException.ThrowIfNull(points);
        int m = reference.Length;
        var flat = new double[points.Count * m];
        for (int k = 0; k < points.Count; k++)
        {
            double[] point = points[k] ?? throw new ArgumentException($"Point {k} is null.", nameof(points));
            if (point.Length != m)
            {
                throw new ArgumentException($"Point {k} has {point.Length} objectives; the reference has {m}.", nameof(points));
            }

            point.CopyTo(flat, k * m);
        }

        return Compute(flat, Math.Max(m, 1), reference);
    }

    // The measure of the union of the boxes [0, g] over the gains, in their first `dimensions` coordinates (all positive).
    private static double Volume(List<double[]> gains, int dimensions)
    {
        if (gains.Count == 0)
        {
            return 0.0;
        }

        if (dimensions == 1)
        {
            double largest = 0.0;
            foreach (double[] g in gains)
            {
                largest = Math.Max(largest, g[0]);
            }

            return largest;
        }

        int last = dimensions - 1;
        gains.Sort((a, b) => b[last].CompareTo(a[last]));
        if (dimensions == 2)
        {
            // Sorted by y descending: between y_{k+1} and y_k the covered x reaches max over the first k points.
            double area = 0.0, reach = 0.0;
            for (int k = 0; k < gains.Count; k++)
            {
                reach = Math.Max(reach, gains[k][0]);
                double next = k + 1 < gains.Count ? gains[k + 1][1] : 0.0;
                area += (gains[k][1] - next) * reach;
            }

            return area;
        }

        double volume = 0.0;
        var slice = new List<double[]>(gains.Count);
        for (int k = 0; k < gains.Count; k++)
        {
            AddNondominated(slice, gains[k], last);
            double next = k + 1 < gains.Count ? gains[k + 1][last] : 0.0;
            double depth = gains[k][last] - next;
            if (depth > 0.0)
            {
                volume += depth * Volume([.. slice], last);
            }
        }

        return volume;
    }

    // Adds a point to a slice of mutually nondominated points (first `dimensions` coordinates): skipped when a point of the
    // slice weakly dominates it, and it removes the points it weakly dominates. Neither changes the union of boxes.
    private static void AddNondominated(List<double[]> slice, double[] point, int dimensions)
    {
        foreach (double[] other in slice)
        {
            if (WeaklyDominates(other, point, dimensions))
            {
                return;
            }
        }

        slice.RemoveAll(other => WeaklyDominates(point, other, dimensions));
        slice.Add(point);
    }

    private static bool WeaklyDominates(double[] a, double[] b, int dimensions)
    {
        for (int i = 0; i < dimensions; i++)
        {
            if (a[i] < b[i])
            {
                return false;
            }
        }

        return true;
    }
}
