using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Properties every reward-reading weighting should have: simplex weights, permutation equivariance, scale invariance.</summary>
public sealed class RewardWeightingPropertyTests
{
    public static TheoryData<string> Names => ["tchebycheff", "smooth", "dwa", "famo", "constrained"];

    [Theory]
    [MemberData(nameof(Names))]
    public void PermutingTheObjectivesPermutesTheWeights(string name)
    {
        const int n = 4;
        int[] permutation = [2, 0, 3, 1]; // objective k of the permuted problem is objective permutation[k]
        double[] preferences = [1.0, 2.0, 0.5, 1.5];
        double[] ideal = [3.0, 2.5, 4.0, 3.5];
        double[] floors = [0.0, double.NegativeInfinity, -0.5, 0.2];
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 12, steps: 9, n);
        IStatefulWeighting original = Create(name, preferences, ideal, floors);
        IStatefulWeighting permuted = Create(name, Permute(preferences, permutation), Permute(ideal, permutation), Permute(floors, permutation));

        var weights = new double[n];
        var permutedWeights = new double[n];
        foreach (double[] rewards in path)
        {
            var input = WeightingInput.FromRewards(rewards);
            var permutedInput = WeightingInput.FromRewards(Permute(rewards, permutation));
            original.Observe(input);
            permuted.Observe(permutedInput);
            original.ComputeWeights(input, weights);
            permuted.ComputeWeights(permutedInput, permutedWeights);
            Assert.True(Math.Abs(weights.Sum() - 1.0) <= 1e-14 && weights.All(c => c >= 0.0), name);
            for (int k = 0; k < n; k++)
            {
                Assert.Equal(weights[permutation[k]], permutedWeights[k], tolerance: 1e-14);
            }
        }
    }

    [Theory]
    [InlineData("tchebycheff")]
    [InlineData("dwa")]
    [InlineData("famo")]
    public void ScalingRewardsAndIdealPointLeavesTheWeights(string name)
    {
        // These weightings depend on shortfalls only through ratios, logarithm differences or an argmax.
        const int n = 3;
        const double scale = 8.0; // a power of two, so the scaled shortfalls are exact
        double[] preferences = [1.0, 1.0, 2.0];
        double[] ideal = [3.0, 2.5, 4.0];
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 13, steps: 9, n);
        IStatefulWeighting original = Create(name, preferences, ideal, floors: []);
        IStatefulWeighting scaled = Create(name, preferences, ideal.Select(z => z * scale).ToArray(), floors: []);
        var weights = new double[n];
        var scaledWeights = new double[n];
        foreach (double[] rewards in path)
        {
            var input = WeightingInput.FromRewards(rewards);
            var scaledInput = WeightingInput.FromRewards(rewards.Select(f => f * scale).ToArray());
            original.Observe(input);
            scaled.Observe(scaledInput);
            original.ComputeWeights(input, weights);
            scaled.ComputeWeights(scaledInput, scaledWeights);
            for (int i = 0; i < n; i++)
            {
                // Exact for the argmax and the ratios; FAMO's logarithms differ from log 8 + log x in the last bits.
                Assert.Equal(weights[i], scaledWeights[i], tolerance: 1e-13);
            }
        }
    }

    private static IStatefulWeighting Create(string name, double[] preferences, double[] ideal, double[] floors) => name switch
    {
        "tchebycheff" => new TchebycheffWeighting(preferences, IdealPoint.Given(ideal)),
        "smooth" => new SmoothTchebycheffWeighting(preferences, IdealPoint.Given(ideal), 0.3),
        "dwa" => new DynamicWeightAverageWeighting(preferences.Length, IdealPoint.Given(ideal)),
        "famo" => new FamoWeighting(preferences.Length, IdealPoint.Given(ideal)),
        _ => new ConstrainedWeighting(preferences, floors, 0.2),
    };

    private static double[] Permute(double[] values, int[] permutation) => permutation.Select(k => values[k]).ToArray();
}
