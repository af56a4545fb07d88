using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>The constrained (Lagrangian) weighting: dual ascent by hand, convergence to the constrained optimum, resume.</summary>
public sealed class ConstrainedWeightingTests
{
    [Fact]
    public void DualAscentWorkedExample()
    {
        // p = (1, 1)/2, objective 1 must stay ≥ 0.5, η = 2.
        var weighting = new ConstrainedWeighting([1.0, 1.0], [double.NegativeInfinity, 0.5], stepSize: 2.0);
        var weights = new double[2];
        var multipliers = new double[2];
        Assert.True(double.IsNaN(weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights)));
        Assert.Equal([0.5, 0.5], weights);

        // f₁ = 0.2 < 0.5: λ₁ = max(0, 0 + 2·0.3) = 0.6; c = (0.5, 1.1) / 1.6.
        weighting.Observe(WeightingInput.FromRewards(new[] { 1.0, 0.2 }));
        weighting.CopyMultipliers(multipliers);
        Assert.Equal(0.0, multipliers[0]);
        Assert.Equal(0.6, multipliers[1], tolerance: 1e-15);
        weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights);
        Assert.Equal(0.5 / 1.6, weights[0], tolerance: 1e-15);
        Assert.Equal(1.1 / 1.6, weights[1], tolerance: 1e-15);

        // f₁ = 0.4: λ₁ = 0.6 + 2·0.1 = 0.8; objective 0 far above any floor keeps λ₀ = 0 (unconstrained).
        weighting.Observe(WeightingInput.FromRewards(new[] { -100.0, 0.4 }));
        weighting.CopyMultipliers(multipliers);
        Assert.Equal(0.0, multipliers[0]);
        Assert.Equal(0.8, multipliers[1], tolerance: 1e-15);

        // f₁ = 1: λ₁ = max(0, 0.8 − 1) = 0: back to the preferences.
        weighting.Observe(WeightingInput.FromRewards(new[] { 1.0, 1.0 }));
        weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights);
        Assert.Equal([0.5, 0.5], weights);
    }

    [Fact]
    public void PrimalDualReachesTheConstrainedOptimum()
    {
        // A toy policy x ∈ [0, 2] with rewards f₀ = −(x − 1)², f₁ = −x: maximise f₀ subject to f₁ ≥ −0.5.
        // The constrained optimum is x* = 0.5; with p = (1, 0) its KKT multiplier solves 2(1 − x*) = λ₁, so λ₁ = 1.
        var weighting = new ConstrainedWeighting([1.0, 0.0], [double.NegativeInfinity, -0.5], stepSize: 0.5);
        var weights = new double[2];
        double x = 2.0;
        for (int step = 0; step < 2000; step++)
        {
            var input = WeightingInput.FromRewards(new[] { -(x - 1.0) * (x - 1.0), -x });
            weighting.Observe(input);
            weighting.ComputeWeights(input, weights);

            // Gradient ascent on Σ cᵢ fᵢ: ∂/∂x = c₀ · (−2(x − 1)) + c₁ · (−1).
            x = Math.Clamp(x + (0.1 * ((weights[0] * -2.0 * (x - 1.0)) - weights[1])), 0.0, 2.0);
        }

        var multipliers = new double[2];
        weighting.CopyMultipliers(multipliers);
        Assert.Equal(0.5, x, 9);
        Assert.Equal(1.0, multipliers[1], 9);
    }

    [Fact]
    public void ResumeContinuesIdentically()
    {
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 2, steps: 12, n: 3);
        StatefulWeightingChecks.ResumeContinuesIdentically(
            new ConstrainedWeighting([1.0, 1.0, 1.0], [double.NegativeInfinity, -1.0, 0.0], 0.3),
            new ConstrainedWeighting([1.0, 1.0, 1.0], [double.NegativeInfinity, -1.0, 0.0], 0.3),
            path,
            split: 5);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.StartsWith("Floor of objective 1 is NaN", Assert.Throws<ArgumentException>(() => new ConstrainedWeighting([1.0, 1.0], [0.0, double.NaN], 1.0)).Message);
        Assert.StartsWith("Floor of objective 0 is positive infinity", Assert.Throws<ArgumentException>(() => new ConstrainedWeighting([1.0, 1.0], [double.PositiveInfinity, 0.0], 1.0)).Message);
        Assert.Equal("floors", Assert.Throws<ArgumentException>(() => new ConstrainedWeighting([1.0, 1.0], [0.0], 1.0)).ParamName);
        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new ConstrainedWeighting([1.0], [0.0], 0.0)).ParamName);
        Assert.Equal("preferences", Assert.Throws<ArgumentException>(() => new ConstrainedWeighting([0.0, 0.0], [0.0, 0.0], 1.0)).ParamName);

        var weighting = new ConstrainedWeighting([1.0, 1.0], [double.NegativeInfinity, 0.0], 4.0);
        weighting.Observe(WeightingInput.FromRewards(new[] { 0.0, -1.0 }));
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, double.NaN], "Mean reward of objective 1 is NaN.");
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, -double.MaxValue], "The multiplier of objective 1 overflows");
        StatefulWeightingChecks.LoadRejects(weighting, [0.0, -0.5], "State entry 1 (the multiplier of objective 1) is negative (-0.5).");
        StatefulWeightingChecks.LoadRejects(weighting, [0.0, double.NaN], "State entry 1 (the multiplier of objective 1) is NaN.");
        StatefulWeightingChecks.LoadRejects(weighting, [0.5, 0.0], "State entry 0 (the multiplier of objective 0) is 0.5 but objective 0 is unconstrained");
        StatefulWeightingChecks.LoadRejects(weighting, [0.0], "The state has length 1");
    }
}
