using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Tchebycheff scalarisation: worked examples by hand, the subgradient property, tracking and resume.</summary>
public sealed class TchebycheffWeightingTests
{
    [Fact]
    public void GivenIdealPointWorkedExample()
    {
        // λ = (1, 1, 2) / 4, z* = (1, 2, 3).
        var weighting = new TchebycheffWeighting([1.0, 1.0, 2.0], IdealPoint.Given(1.0, 2.0, 3.0));
        var weights = new double[3];

        // Shortfalls (1, 0.5, 0.5), weighted (0.25, 0.125, 0.25): objectives 0 and 2 tie and share the weight.
        double value = weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 0.0, 1.5, 2.5 }), weights);
        Assert.Equal(0.25, value);
        Assert.Equal([0.5, 0.0, 0.5], weights);

        // Shortfalls (0.5, 0.5, 0.5), weighted (0.125, 0.125, 0.25): all weight to objective 2.
        value = weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 0.5, 1.5, 2.5 }), weights);
        Assert.Equal(0.25, value);
        Assert.Equal([0.0, 0.0, 1.0], weights);

        // A reward above the given ideal point has a negative shortfall; the others still compete.
        value = weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 2.0, 1.0, 3.0 }), weights);
        Assert.Equal(0.25, value);
        Assert.Equal([0.0, 1.0, 0.0], weights);
        Assert.Equal(1, weighting.StateLength);
    }

    [Fact]
    public void IdealPointDescribesItself()
    {
        double[] values = [1.0, -2.0];
        var given = IdealPoint.Given(values);
        values[0] = 99.0; // the ideal point keeps its own copy
        Assert.False(given.IsTracked);
        Assert.Equal([1.0, -2.0], given.Values!);
        Assert.Equal(2, given.ObjectiveCount);
        Assert.Equal(0.0, given.Margin);

        var tracked = IdealPoint.Tracked(0.5);
        Assert.True(tracked.IsTracked);
        Assert.Null(tracked.Values);
        Assert.Equal(0, tracked.ObjectiveCount);
        Assert.Equal(0.5, tracked.Margin);
    }

    [Fact]
    public void TrackedIdealPointFollowsTheRunningMaximumPlusMargin()
    {
        var weighting = new TchebycheffWeighting([1.0, 1.0], IdealPoint.Tracked(0.25));
        var weights = new double[2];

        // Before any step the ideal point is the input itself plus the margin: equal shortfalls, equal weights.
        Assert.Equal(0.125, weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 3.0, -7.0 }), weights));
        Assert.Equal([0.5, 0.5], weights);

        // Step 1: f = (1, 5): maxima (1, 5), z* = (1.25, 5.25); shortfalls (0.25, 0.25).
        Step(weighting, [1.0, 5.0], weights, expectedValue: 0.125, [0.5, 0.5]);

        // Step 2: f = (2, 4): maxima (2, 5), z* = (2.25, 5.25); shortfalls (0.25, 1.25): objective 1.
        Step(weighting, [2.0, 4.0], weights, expectedValue: 0.625, [0.0, 1.0]);

        // Step 3: f = (1.5, 6): maxima (2, 6), z* = (2.25, 6.25); shortfalls (0.75, 0.25): objective 0.
        Step(weighting, [1.5, 6.0], weights, expectedValue: 0.375, [1.0, 0.0]);

        // Unobserved rewards above the maxima raise the ideal point for that evaluation only: z* = (3.25, 6.25).
        Assert.Equal(0.125, weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 3.0, 6.0 }), weights));
        Assert.Equal([0.5, 0.5], weights);

        var state = new double[weighting.StateLength];
        weighting.SaveState(state);
        Assert.Equal([3.0, 2.0, 6.0], state);
    }

    [Fact]
    public void WeightsAreTheSubgradientOfTheWorstWeightedShortfall()
    {
        var random = new Random(19);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = random.Next(1, 7);
            double[] lambda = Enumerable.Range(0, n).Select(_ => random.Next(0, 4) * 0.5).ToArray();
            if (lambda.All(x => x == 0.0))
            {
                lambda[0] = 1.0;
            }

            double[] ideal = Enumerable.Range(0, n).Select(_ => (double)random.Next(-3, 4)).ToArray();
            double[] rewards = Enumerable.Range(0, n).Select(_ => random.Next(-6, 4) * 0.5).ToArray();
            var weights = new double[n];
            var weighting = new TchebycheffWeighting(lambda, IdealPoint.Given(ideal));
            double value = weighting.ComputeWeights(WeightingInput.FromRewards(rewards), weights);

            // Independent: the weighted shortfalls (λ normalised as PreferenceWeighting's tests check), their maximum,
            // and the objectives attaining it.
            double total = lambda.Sum();
            Assert.Equal(lambda.Select(x => x / total), weighting.Preferences, (x, y) => Math.Abs(x - y) <= 1e-15);
            double[] d = Enumerable.Range(0, n).Select(i => weighting.Preferences[i] * (ideal[i] - rewards[i])).ToArray();
            double max = d.Max();
            int[] argmax = Enumerable.Range(0, n).Where(i => d[i] == max).ToArray();
            Assert.Equal(max, value);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(argmax.Contains(i) ? 1.0 / argmax.Length : 0.0, weights[i]);
            }

            // The value is the maximum of the linear function Σ cᵢ dᵢ over the simplex, attained by the weights.
            Assert.Equal(max, weights.Select((c, i) => c * d[i]).Sum(), 12);
        }
    }

    [Fact]
    public void ResumeContinuesIdentically()
    {
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 3, steps: 12, n: 3);
        StatefulWeightingChecks.ResumeContinuesIdentically(
            new TchebycheffWeighting([1.0, 2.0, 1.0], IdealPoint.Tracked(0.1)),
            new TchebycheffWeighting([1.0, 2.0, 1.0], IdealPoint.Tracked(0.1)),
            path,
            split: 5);
        StatefulWeightingChecks.ResumeContinuesIdentically(
            new TchebycheffWeighting([1.0, 2.0, 1.0], IdealPoint.Given(1.0, 1.0, 1.0)),
            new TchebycheffWeighting([1.0, 2.0, 1.0], IdealPoint.Given(1.0, 1.0, 1.0)),
            path,
            split: 4);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        var weighting = new TchebycheffWeighting([1.0, 1.0, 1.0], IdealPoint.Tracked());
        var weights = new double[3];
        var nan = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 1.0, 2.0, double.NaN }), weights));
        Assert.Equal("input", nan.ParamName);
        Assert.StartsWith("Mean reward of objective 2 is NaN.", nan.Message);
        Assert.StartsWith("Mean reward of objective 0 is negative infinity.", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { double.NegativeInfinity, 2.0, 1.0 }), weights)).Message);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromStatistics(new[] { 1.0, 2.0, 3.0 }), weights)).ParamName);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 1.0, 2.0 }), new double[2])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 1.0, 2.0, 3.0 }), new double[2])).ParamName);
        StatefulWeightingChecks.ObserveRejects(weighting, [1.0, double.PositiveInfinity, 1.0], "Mean reward of objective 1 is positive infinity.");
        StatefulWeightingChecks.ObserveRejects(weighting, [1.0, 1.0], "The input has 2 mean rewards");

        // A shortfall that overflows is named, not turned into a NaN weight.
        var huge = new TchebycheffWeighting([1.0, 1.0], IdealPoint.Given(double.MaxValue, 0.0));
        Assert.StartsWith("The shortfall of objective 0", Assert.Throws<ArgumentException>(() => huge.ComputeWeights(WeightingInput.FromRewards(new[] { -double.MaxValue, 0.0 }), new double[2])).Message);

        Assert.StartsWith("Preference of objective 1 is NaN.", Assert.Throws<ArgumentException>(() => new TchebycheffWeighting([1.0, double.NaN], IdealPoint.Tracked())).Message);
        Assert.Equal("idealPoint", Assert.Throws<ArgumentException>(() => new TchebycheffWeighting([1.0, 1.0], IdealPoint.Given(1.0, 2.0, 3.0))).ParamName);
        Assert.Equal("idealPoint", Assert.Throws<ArgumentNullException>(() => new TchebycheffWeighting([1.0], null!)).ParamName);
        Assert.StartsWith("Ideal point of objective 1 is NaN.", Assert.Throws<ArgumentException>(() => IdealPoint.Given(0.0, double.NaN)).Message);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => IdealPoint.Given(ReadOnlySpan<double>.Empty)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => IdealPoint.Tracked(-1.0)).ParamName);
        Assert.Equal("margin", Assert.Throws<ArgumentOutOfRangeException>(() => IdealPoint.Tracked(double.NaN)).ParamName);
    }

    [Fact]
    public void BadStateIsRefusedAndChangesNothing()
    {
        var weighting = new TchebycheffWeighting([1.0, 1.0], IdealPoint.Tracked());
        weighting.Observe(WeightingInput.FromRewards(new[] { 1.0, 2.0 }));
        StatefulWeightingChecks.LoadRejects(weighting, [1.5, 0.0, 0.0], "State entry 0 (the number of observed steps) is 1.5");
        StatefulWeightingChecks.LoadRejects(weighting, [-1.0, 0.0, 0.0], "State entry 0 (the number of observed steps) is -1");
        StatefulWeightingChecks.LoadRejects(weighting, [2.0, 0.0, double.NaN], "State entry 2 (the running maximum reward of objective 1) is NaN.");
        StatefulWeightingChecks.LoadRejects(weighting, [0.0, 0.0, 3.0], "State entry 2 (the running maximum reward of objective 1) is 3 but no step was observed");
        StatefulWeightingChecks.LoadRejects(weighting, [1.0, 0.0], "The state has length 2");
        Assert.Equal("state", Assert.Throws<ArgumentException>(() => weighting.SaveState(new double[4])).ParamName);
    }

    private static void Step(TchebycheffWeighting weighting, double[] rewards, double[] weights, double expectedValue, double[] expectedWeights)
    {
        var input = WeightingInput.FromRewards(rewards);
        weighting.Observe(input);
        Assert.Equal(expectedValue, weighting.ComputeWeights(input, weights));
        Assert.Equal(expectedWeights, weights);
    }
}
