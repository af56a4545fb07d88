using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Dynamic weight average (Liu, Johns and Davison 2019): the paper's formula by hand, tracking, resume.</summary>
public sealed class DynamicWeightAverageWeightingTests
{
    [Fact]
    public void IdealPointZeroAndNegatedLossesIsThePapersDwa()
    {
        // Losses L(1) = (4, 2), L(2) = (2, 1.5), L(3) = (1, 1.2), L(4) = (0.9, 1.0); rewards f = −L, ideal point 0.
        double[][] losses = [[4.0, 2.0], [2.0, 1.5], [1.0, 1.2], [0.9, 1.0]];
        var weighting = new DynamicWeightAverageWeighting(2, IdealPoint.Given(0.0, 0.0));
        Assert.Equal(2.0, weighting.Options.Temperature);
        var weights = new double[2];

        // Steps 1 and 2: uniform (the paper sets wᵢ = 1 for t = 1, 2; divided by n = 2).
        for (int t = 0; t < 2; t++)
        {
            weighting.Observe(Rewards(losses[t]));
            Assert.True(double.IsNaN(weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights)));
            Assert.Equal([0.5, 0.5], weights);
        }

        // Step 3: r = L(2)/L(1) = (0.5, 0.75); wᵢ = n exp(rᵢ/T) / Σⱼ exp(rⱼ/T) with T = 2, divided by n.
        weighting.Observe(Rewards(losses[2]));
        weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights);
        AssertPaperWeights([0.5, 0.75], 2.0, weights);

        // Step 4: r = L(3)/L(2) = (0.5, 0.8).
        weighting.Observe(Rewards(losses[3]));
        weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights);
        AssertPaperWeights([0.5, 0.8], 2.0, weights);

        // The objective whose loss fell more slowly (ratio nearer 1) gets the larger weight.
        Assert.True(weights[1] > weights[0]);
    }

    [Fact]
    public void TrackedIdealPointMeasuresBothShortfallsFromTheCurrentIdeal()
    {
        var weighting = new DynamicWeightAverageWeighting(2, IdealPoint.Tracked(1.0), new DynamicWeightAverageOptions { Temperature = 1.0 });
        var weights = new double[2];
        weighting.Observe(WeightingInput.FromRewards(new[] { 0.0, 0.0 }));
        weighting.Observe(WeightingInput.FromRewards(new[] { 1.0, 0.0 }));
        weighting.Observe(WeightingInput.FromRewards(new[] { 1.0, 2.0 }));

        // Maxima (1, 2), z* = (2, 3); r = (z* − f(2)) / (z* − f(1)) = (1/2, 3/3); T = 1.
        weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 1.0, 2.0 }), weights);
        AssertPaperWeights([0.5, 1.0], 1.0, weights);

        var state = new double[weighting.StateLength];
        weighting.SaveState(state);
        Assert.Equal([3.0, 1.0, 2.0, 1.0, 2.0, 1.0, 0.0, 0.0, 0.0], state);
    }

    [Fact]
    public void ResumeContinuesIdentically()
    {
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 8, steps: 12, n: 3);
        foreach (int split in new[] { 0, 1, 2, 5 })
        {
            StatefulWeightingChecks.ResumeContinuesIdentically(
                new DynamicWeightAverageWeighting(3, IdealPoint.Tracked(0.5)),
                new DynamicWeightAverageWeighting(3, IdealPoint.Tracked(0.5)),
                path,
                split);
        }

        StatefulWeightingChecks.ResumeContinuesIdentically(
            new DynamicWeightAverageWeighting(3, IdealPoint.Given(10.0, 10.0, 10.0)),
            new DynamicWeightAverageWeighting(3, IdealPoint.Given(10.0, 10.0, 10.0)),
            path,
            split: 4);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicWeightAverageOptions { Temperature = 0.0 }).ParamName);
        Assert.Equal("Temperature", Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicWeightAverageOptions { Temperature = double.NaN }).ParamName);
        Assert.Equal("objectiveCount", Assert.Throws<ArgumentOutOfRangeException>(() => new DynamicWeightAverageWeighting(0, IdealPoint.Tracked(1.0))).ParamName);
        Assert.Equal("idealPoint", Assert.Throws<ArgumentException>(() => new DynamicWeightAverageWeighting(2, IdealPoint.Tracked())).ParamName);
        Assert.Equal("idealPoint", Assert.Throws<ArgumentException>(() => new DynamicWeightAverageWeighting(2, IdealPoint.Given(1.0))).ParamName);

        var weighting = new DynamicWeightAverageWeighting(3, IdealPoint.Given(1.0, 1.0, 1.0));
        weighting.Observe(WeightingInput.FromRewards(new[] { 0.0, 0.0, 0.0 }));
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, 0.0, double.NaN], "Mean reward of objective 2 is NaN.");
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, 1.0, 0.0], "Mean reward of objective 1 (1) is not below its ideal point (1)");
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, 0.0], "The input has 2 mean rewards");
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.Observe(WeightingInput.FromObjectiveCount(3))).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromObjectiveCount(3), new double[2])).ParamName);

        // A margin negligible against the rewards: the shortfall rounds to 0 and is named instead of giving NaN weights.
        var negligible = new DynamicWeightAverageWeighting(2, IdealPoint.Tracked(1e-3));
        foreach (double x in new[] { 1e20, 1e20, 1e20 })
        {
            negligible.Observe(WeightingInput.FromRewards(new[] { 0.0, x }));
        }

        Assert.StartsWith("The shortfall of objective 1 from its ideal point", Assert.Throws<ArgumentException>(() => negligible.ComputeWeights(WeightingInput.FromObjectiveCount(2), new double[2])).Message);

        // State: [count, f(t) ×3, f(t−1) ×3, f(t−2) ×3] for a given ideal point.
        StatefulWeightingChecks.LoadRejects(weighting, [1.0, 0.0, 0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0], "State entry 4 (the mean reward f(t−1) of objective 0) is 0.5 but only 1 steps were observed");
        StatefulWeightingChecks.LoadRejects(weighting, [3.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0], "State entry 5 (the mean reward f(t−1) of objective 1) is 2, above the running maximum or not below the given ideal point.");
        StatefulWeightingChecks.LoadRejects(weighting, [3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, double.NaN], "State entry 9 (the mean reward f(t−2) of objective 2) is NaN.");
    }

    private static WeightingInput Rewards(double[] losses) => WeightingInput.FromRewards(losses.Select(x => -x).ToArray());

    private static void AssertPaperWeights(double[] ratios, double temperature, double[] weights)
    {
        int n = ratios.Length;
        double denominator = ratios.Sum(r => Math.Exp(r / temperature));
        for (int i = 0; i < n; i++)
        {
            double paper = n * Math.Exp(ratios[i] / temperature) / denominator;
            Assert.Equal(paper / n, weights[i], tolerance: 1e-14);
        }
    }
}
