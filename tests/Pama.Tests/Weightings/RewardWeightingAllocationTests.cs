using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>The reward-reading weightings allocate nothing in ComputeWeights and Observe.</summary>
public sealed class RewardWeightingAllocationTests
{
    public static TheoryData<string> Names => ["tchebycheff", "smooth", "dwa", "famo", "famo-sgd", "constrained"];

    [Theory]
    [MemberData(nameof(Names))]
    public void ComputeWeightsAndObserveAllocateZeroBytes(string name)
    {
        const int n = 4;
        IStatefulWeighting weighting = name switch
        {
            "tchebycheff" => new TchebycheffWeighting([1.0, 2.0, 1.0, 1.0], IdealPoint.Tracked(0.1)),
            "smooth" => new SmoothTchebycheffWeighting([1.0, 2.0, 1.0, 1.0], IdealPoint.Tracked(0.1), 0.3),
            "dwa" => new DynamicWeightAverageWeighting(n, IdealPoint.Tracked(0.1)),
            "famo" => new FamoWeighting(n, IdealPoint.Tracked(0.1)),
            "famo-sgd" => new FamoWeighting(n, IdealPoint.Tracked(0.1), new FamoOptions { UseAdam = false }),
            _ => new ConstrainedWeighting([1.0, 2.0, 1.0, 1.0], [0.0, double.NegativeInfinity, 0.5, 0.0], 0.1),
        };

        var inputs = Enumerable.Range(0, 8)
            .Select(t => WeightingInput.FromRewards(Enumerable.Range(0, n).Select(i => Math.Sin((3 * t) + i)).ToArray()))
            .ToArray();
        var weights = new double[n];
        double checksum = 0.0;
        foreach (var input in inputs)
        {
            weighting.Observe(input);
            weighting.ComputeWeights(input, weights);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 200; repeat++)
        {
            foreach (var input in inputs)
            {
                weighting.Observe(input);
                weighting.ComputeWeights(input, weights);
                checksum += weights[0];
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(double.IsFinite(checksum));
    }
}
