using Pama.Pareto;
using Xunit;

namespace Pama.Tests.Pareto;

/// <summary>
/// <see cref="Hypervolume"/> against volumes worked out by hand in two and three objectives, and against two independent
/// references on random sets: inclusion-exclusion over all subsets of boxes, and counting the cells of the coordinate grid.
/// </summary>
public sealed class HypervolumeTests
{
    private static double Of(double[] reference, params double[][] points) => Hypervolume.Compute(points, reference);

    [Fact]
    public void TwoObjectivesStaircase()
    {
        // Boxes [0,1]×[0,3], [0,2]×[0,2], [0,3]×[0,1]: 3 + (2−1)·2 + (3−2)·1 = 6.
        Assert.Equal(6.0, Of([0, 0], [1, 3], [2, 2], [3, 1]), 12);
    }

    [Fact]
    public void DominatedDuplicateAndBelowReferencePointsAddNothing()
    {
        double[][] staircase = [[1, 3], [2, 2], [3, 1]];
        double[][] extra =
        [
            [1, 1],      // dominated by (2, 2)
            [2, 2],      // duplicate
            [3, 1],      // duplicate
            [-1, 5],     // below the reference in the first objective
            [0, 9],      // on the reference in the first objective: not strictly dominating
            [0.5, 2.5],  // dominated by (1, 3)
        ];
        Assert.Equal(6.0, Of([0, 0], [.. staircase, .. extra]), 12);
    }

    [Fact]
    public void TwoObjectivesOffsetReference()
    {
        // Reference (1, −1): boxes [1,2]×[−1,1] (area 2) and [1,3]×[−1,0] (area 2) overlap in [1,2]×[−1,0] (area 1).
        Assert.Equal(3.0, Of([1, -1], [2, 1], [3, 0]), 12);
        // A point that crosses the reference in one objective is cut off entirely, not clipped.
        Assert.Equal(3.0, Of([1, -1], [2, 1], [3, 0], [0.5, 10]), 12);
    }

    [Fact]
    public void EmptyOrNothingAboveTheReferenceIsZero()
    {
        Assert.Equal(0.0, Of([0, 0]));
        Assert.Equal(0.0, Of([0, 0], [-1, -1], [0, 0], [5, 0]));
        Assert.Equal(0.0, Of([0, 0, 0], [1, 1, 0], [1, -1, 1]));
    }

    [Fact]
    public void OneObjectiveIsTheLargestGain()
    {
        Assert.Equal(2.5, Of([0.5], [1], [3], [-2]), 12);
    }

    [Fact]
    public void ThreeObjectivesUnitCube()
    {
        Assert.Equal(1.0, Of([0, 0, 0], [1, 1, 1]), 12);
        Assert.Equal(24.0, Of([1, 1, 1], [3, 4, 5]), 12);
    }

    [Fact]
    public void ThreeObjectivesThreeOverlappingBoxes()
    {
        // Each box has volume 2; every pair and the triple intersect in the unit cube: 3·2 − 3·1 + 1 = 4.
        double[][] points = [[2, 1, 1], [1, 2, 1], [1, 1, 2]];
        Assert.Equal(4.0, Of([0, 0, 0], points), 12);
        // Dominated, duplicate and below-reference points change nothing.
        Assert.Equal(4.0, Of([0, 0, 0], [.. points, [1, 1, 1], [2, 1, 1], [0.5, 0.5, 2], [-1, 9, 9], [9, 9, 0]]), 12);
    }

    [Fact]
    public void ThreeObjectivesTwoBoxesWithOffsetReference()
    {
        // Reference (1, 1, 1): gains (2, 1, 1) and (1, 1, 3): 2 + 3 − 1 = 4.
        Assert.Equal(4.0, Of([1, 1, 1], [3, 2, 2], [2, 2, 4]), 12);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(3, 4)]
    [InlineData(4, 5)]
    [InlineData(5, 6)]
    public void RandomSetsMatchInclusionExclusion(int objectives, int seed)
    {
        var random = new Random(seed);
        for (int trial = 0; trial < 40; trial++)
        {
            int count = random.Next(0, 10);
            double[] reference = [.. Enumerable.Range(0, objectives).Select(_ => random.NextDouble() - 0.5)];
            // Half the trials on a coarse grid, so ties, duplicates and points on the reference are common.
            bool coarse = trial % 2 == 0;
            double[][] points = [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, objectives)
                .Select(i => coarse ? reference[i] + random.Next(-1, 4) * 0.5 : random.NextDouble() * 3 - 1).ToArray())];
            double expected = InclusionExclusion(points, reference);
            Assert.Equal(expected, Of(reference, points), 1e-10);
        }
    }

    [Theory]
    [InlineData(2, 11)]
    [InlineData(3, 12)]
    [InlineData(4, 13)]
    public void LargerRandomSetsMatchTheGridCount(int objectives, int seed)
    {
        var random = new Random(seed);
        int count = objectives == 4 ? 12 : 25;
        double[] reference = new double[objectives];
        double[][] points = [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, objectives).Select(_ => random.NextDouble() * 2 - 0.3).ToArray())];
        Assert.Equal(GridCount(points, reference), Of(reference, points), 1e-10);
    }

    [Fact]
    public void FlatOverloadReadsRowMajorPoints()
    {
        double[] flat = [1, 3, 2, 2, 3, 1];
        Assert.Equal(6.0, Hypervolume.Compute(flat, 2, [0.0, 0.0]), 12);
    }

    [Fact]
    public void InvalidInputIsNamed()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Hypervolume.Compute([1.0], 0, ReadOnlySpan<double>.Empty));
        var length = Assert.Throws<ArgumentException>(() => Hypervolume.Compute([1.0, 2.0, 3.0], 2, [0.0, 0.0]));
        Assert.Contains("not a multiple of 2", length.Message);
        Assert.Contains("reference has 3 values", Assert.Throws<ArgumentException>(() => Hypervolume.Compute([1.0, 2.0], 2, [0.0, 0.0, 0.0])).Message);
        var nan = Assert.Throws<ArgumentException>(() => Hypervolume.Compute([1.0, 2.0, 3.0, double.NaN], 2, [0.0, 0.0]));
        Assert.Contains("Objective 1 of point 1 is NaN", nan.Message);
        var reference = Assert.Throws<ArgumentException>(() => Hypervolume.Compute([1.0, 2.0], 2, [0.0, double.PositiveInfinity]));
        Assert.Contains("Objective 1 of the reference", reference.Message);
        var ragged = Assert.Throws<ArgumentException>(() => Hypervolume.Compute([[1.0, 2.0], [1.0]], [0.0, 0.0]));
        Assert.Contains("Point 1 has 1 objectives", ragged.Message);
    }

    // Σ over nonempty subsets S of (−1)^{|S|+1} · Π_i max(min_{p∈S} p_i − r_i, 0): the measure of a union of boxes anchored at r.
    private static double InclusionExclusion(double[][] points, double[] reference)
    {
        // Only strictly dominating points have a box; the others are dropped first, as the definition says.
        double[][] boxes = [.. points.Where(p => p.Zip(reference).All(t => t.First > t.Second))];
        double total = 0;
        for (int mask = 1; mask < 1 << boxes.Length; mask++)
        {
            double volume = 1;
            int size = 0;
            for (int i = 0; i < reference.Length; i++)
            {
                double low = double.PositiveInfinity;
                for (int k = 0; k < boxes.Length; k++)
                    if ((mask >> k & 1) == 1) low = Math.Min(low, boxes[k][i]);
                volume *= low - reference[i];
            }

            for (int k = 0; k < boxes.Length; k++) size += mask >> k & 1;
            total += size % 2 == 1 ? volume : -volume;
        }

        return total;
    }

    // Cuts space along every distinct coordinate and sums the cells whose centre some box covers.
    private static double GridCount(double[][] points, double[] reference)
    {
        double[][] boxes = [.. points.Where(p => p.Zip(reference).All(t => t.First > t.Second))];
        int m = reference.Length;
        double[][] cuts = [.. Enumerable.Range(0, m).Select(i => boxes.Select(b => b[i]).Append(reference[i]).Distinct().Order().ToArray())];
        double total = 0;
        var index = new int[m];
        while (true)
        {
            double volume = 1;
            var centre = new double[m];
            for (int i = 0; i < m; i++)
            {
                volume *= cuts[i][index[i] + 1] - cuts[i][index[i]];
                centre[i] = (cuts[i][index[i] + 1] + cuts[i][index[i]]) / 2;
            }

            if (boxes.Any(b => b.Zip(centre).All(t => t.First >= t.Second))) total += volume;
            int d = 0;
            while (d < m && ++index[d] == cuts[d].Length - 1) index[d++] = 0;
            if (d == m) break;
        }

        return total;
    }
}
