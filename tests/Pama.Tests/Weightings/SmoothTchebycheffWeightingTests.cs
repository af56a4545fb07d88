using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Smooth Tchebycheff (Lin et al. 2024): worked examples, the gradient property, the μ → 0 limit, stability.</summary>
public sealed class SmoothTchebycheffWeightingTests
{
    [Fact]
    public void WorkedExampleFromThePaperFormula()
    {
        // λ = (1, 3) / 4, z* = (0, 0), f = (−2, −1), μ = 0.25: d = λ ⊙ (z* − f) = (0.5, 0.75), d/μ = (2, 3).
        var weighting = new SmoothTchebycheffWeighting([1.0, 3.0], IdealPoint.Given(0.0, 0.0), smoothing: 0.25);
        var weights = new double[2];
        double value = weighting.ComputeWeights(WeightingInput.FromRewards(new[] { -2.0, -1.0 }), weights);

        // g = μ log(e² + e³); s ∝ (e², e³); c ∝ (λ₀ s₀, λ₁ s₁) ∝ (e², 3e³).
        Assert.Equal(0.25 * Math.Log(Math.Exp(2.0) + Math.Exp(3.0)), value, tolerance: 1e-14);
        double c0 = Math.Exp(2.0) / (Math.Exp(2.0) + (3.0 * Math.Exp(3.0)));
        Assert.Equal(c0, weights[0], tolerance: 1e-14);
        Assert.Equal(1.0 - c0, weights[1], tolerance: 1e-14);

        // Equal preferences: c = s = softmax(d/μ). z* = (1, 1), f = (0, 0.5), μ = 0.5: d/μ = (1, 0.5).
        var equal = new SmoothTchebycheffWeighting([1.0, 1.0], IdealPoint.Given(1.0, 1.0), smoothing: 0.5);
        value = equal.ComputeWeights(WeightingInput.FromRewards(new[] { 0.0, 0.5 }), weights);
        Assert.Equal(0.5 * Math.Log(Math.Exp(1.0) + Math.Exp(0.5)), value, tolerance: 1e-14);
        Assert.Equal(Math.Exp(1.0) / (Math.Exp(1.0) + Math.Exp(0.5)), weights[0], tolerance: 1e-14);
    }

    [Fact]
    public void WeightsAreTheNormalisedGradientOfTheSmoothedShortfall()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = random.Next(1, 6);
            double[] lambda = Enumerable.Range(0, n).Select(_ => random.NextDouble() + 0.1).ToArray();
            double[] ideal = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2.0).ToArray();
            double[] rewards = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 4.0) - 3.0).ToArray();
            double mu = Math.Pow(10.0, random.Next(-1, 2));
            var weights = new double[n];
            double value = new SmoothTchebycheffWeighting(lambda, IdealPoint.Given(ideal), mu).ComputeWeights(WeightingInput.FromRewards(rewards), weights);

            // Independent: g written out naively, and −∂g/∂fᵢ by central differences, normalised.
            double total = lambda.Sum();
            double G(double[] f) => mu * Math.Log(Enumerable.Range(0, n).Sum(i => Math.Exp(lambda[i] / total * (ideal[i] - f[i]) / mu)));
            Assert.Equal(G(rewards), value, tolerance: 1e-12);
            var gradient = new double[n];
            const double h = 1e-5;
            for (int i = 0; i < n; i++)
            {
                double[] up = (double[])rewards.Clone();
                double[] down = (double[])rewards.Clone();
                up[i] += h;
                down[i] -= h;
                gradient[i] = -(G(up) - G(down)) / (2.0 * h);
            }

            double sum = gradient.Sum();
            for (int i = 0; i < n; i++)
            {
                Assert.True(Math.Abs((gradient[i] / sum) - weights[i]) <= 1e-8, $"trial {trial}, objective {i}: {gradient[i] / sum} vs {weights[i]}");
            }
        }
    }

    [Fact]
    public void TendsToTchebycheffAsSmoothingVanishes()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 100; trial++)
        {
            int n = random.Next(2, 6);
            double[] lambda = Enumerable.Range(0, n).Select(_ => random.NextDouble() + 0.1).ToArray();
            double[] rewards = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 4.0) - 3.0).ToArray();
            var ideal = IdealPoint.Given(Enumerable.Repeat(1.0, n).ToArray());
            var input = WeightingInput.FromRewards(rewards);
            var hard = new double[n];
            double tchebycheff = new TchebycheffWeighting(lambda, ideal).ComputeWeights(input, hard);

            double previousDistance = double.PositiveInfinity;
            var smooth = new double[n];
            foreach (double mu in new[] { 1.0, 1e-1, 1e-2, 1e-3, 1e-6, 1e-12, 1e-300 })
            {
                double value = new SmoothTchebycheffWeighting(lambda, ideal, mu).ComputeWeights(input, smooth);

                // max d ≤ g_μ ≤ max d + μ log n (the log-sum-exp bounds).
                Assert.InRange(value, tchebycheff - 1e-15, tchebycheff + (mu * Math.Log(n)) + 1e-15);
                double distance = smooth.Select((c, i) => Math.Abs(c - hard[i])).Sum();
                Assert.True(distance <= previousDistance + 1e-15, $"trial {trial}: the distance grew at μ = {mu}");
                previousDistance = distance;
            }

            // Random reals have no exact ties: at μ = 1e-300 the weights are Tchebycheff's.
            Assert.Equal(hard, smooth);
        }
    }

    [Fact]
    public void StableForExtremeSmoothingAndZeroPreferences()
    {
        var weights = new double[3];

        // Huge shortfalls over a tiny μ: exponents far beyond double range, still finite weights.
        var tiny = new SmoothTchebycheffWeighting([1.0, 1.0, 1.0], IdealPoint.Given(0.0, 0.0, 0.0), smoothing: 1e-300);
        Assert.Equal(1000.0 / 3.0, tiny.ComputeWeights(WeightingInput.FromRewards(new[] { -1000.0, -999.0, 5.0 }), weights), 10);
        Assert.Equal([1.0, 0.0, 0.0], weights);

        // A huge μ: softmax uniform, so c = λ.
        var flat = new SmoothTchebycheffWeighting([1.0, 2.0, 1.0], IdealPoint.Given(0.0, 0.0, 0.0), smoothing: 1e300);
        flat.ComputeWeights(WeightingInput.FromRewards(new[] { -1000.0, -999.0, 5.0 }), weights);
        Assert.Equal([0.25, 0.5, 0.25], weights);

        // The worst shortfall belongs to an objective with λ = 0: the weight goes to the worst with λ > 0.
        var zero = new SmoothTchebycheffWeighting([0.0, 1.0, 1.0], IdealPoint.Given(0.0, 0.0, 0.0), smoothing: 1e-300);
        zero.ComputeWeights(WeightingInput.FromRewards(new[] { -1e6, 1.0, -2.0 }), weights);
        Assert.Equal([0.0, 0.0, 1.0], weights);
    }

    [Fact]
    public void ResumeContinuesIdentically()
    {
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 5, steps: 10, n: 4);
        StatefulWeightingChecks.ResumeContinuesIdentically(
            new SmoothTchebycheffWeighting([1.0, 1.0, 2.0, 0.5], IdealPoint.Tracked(0.5), 0.2),
            new SmoothTchebycheffWeighting([1.0, 1.0, 2.0, 0.5], IdealPoint.Tracked(0.5), 0.2),
            path,
            split: 6);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Equal("smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothTchebycheffWeighting([1.0], IdealPoint.Tracked(), 0.0)).ParamName);
        Assert.Equal("smoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new SmoothTchebycheffWeighting([1.0], IdealPoint.Tracked(), double.PositiveInfinity)).ParamName);
        Assert.StartsWith("Preference of objective 0 is negative", Assert.Throws<ArgumentException>(() => new SmoothTchebycheffWeighting([-1.0, 1.0], IdealPoint.Tracked(), 1.0)).Message);

        var weighting = new SmoothTchebycheffWeighting([1.0, 1.0], IdealPoint.Tracked(), 1.0);
        Assert.StartsWith("Mean reward of objective 1 is NaN.", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 0.0, double.NaN }), new double[2])).Message);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 0.0, 0.0 }), new double[3])).ParamName);
        StatefulWeightingChecks.ObserveRejects(weighting, [double.NaN, 0.0], "Mean reward of objective 0 is NaN.");
        StatefulWeightingChecks.LoadRejects(weighting, [1.0, double.PositiveInfinity, 0.0], "State entry 1 (the running maximum reward of objective 0) is positive infinity.");
    }
}
