using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>FAMO (Liu et al. 2023) against a float64 reference of the authors' update written on losses, by hand, and resumed.</summary>
public sealed class FamoWeightingTests
{
    [Fact]
    public void FirstUpdatesByHand()
    {
        // Losses (4, 2) then (2, 2) (rewards their negatives, ideal point 0): δ = (ln 2, 0), z = (½, ½),
        // Jᵀδ = z ⊙ (δ − zᵀδ) = (ln 2 / 4, −ln 2 / 4), ξ = 0 so the decay adds nothing.
        var plain = new FamoWeighting(2, IdealPoint.Given(0.0, 0.0), new FamoOptions { LearningRate = 0.1, UseAdam = false });
        plain.Observe(WeightingInput.FromRewards(new[] { -4.0, -2.0 }));
        plain.Observe(WeightingInput.FromRewards(new[] { -2.0, -2.0 }));
        var logits = new double[2];
        plain.CopyLogits(logits);
        Assert.Equal(-0.1 * Math.Log(2.0) / 4.0, logits[0], tolerance: 1e-17);
        Assert.Equal(0.1 * Math.Log(2.0) / 4.0, logits[1], tolerance: 1e-17);

        // Objective 0 improved faster and loses logit; the weights cᵢ ∝ zᵢ / ℓᵢ at the losses (2, 2).
        var weights = new double[2];
        plain.ComputeWeights(WeightingInput.FromRewards(new[] { -2.0, -2.0 }), weights);
        double z0 = 1.0 / (1.0 + Math.Exp(logits[1] - logits[0]));
        Assert.Equal(z0, weights[0], tolerance: 1e-15);
        Assert.True(weights[0] < 0.5);

        // Adam's first step is β · g / (|g| + ε) per coordinate (bias corrections cancel): ≈ ∓β.
        var adam = new FamoWeighting(2, IdealPoint.Given(0.0, 0.0));
        adam.Observe(WeightingInput.FromRewards(new[] { -4.0, -2.0 }));
        adam.Observe(WeightingInput.FromRewards(new[] { -2.0, -2.0 }));
        adam.CopyLogits(logits);
        double g = Math.Log(2.0) / 4.0;
        Assert.Equal(-0.025 * g / (g + 1e-8), logits[0], tolerance: 1e-17);
        Assert.Equal(0.025 * g / (g + 1e-8), logits[1], tolerance: 1e-17);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MatchesTheReferenceOnLossesOverManySteps(bool useAdam)
    {
        // Rewards f = −L with a given ideal point z*: FAMO's loss lower bound (its "min_losses") is −z*.
        double[] ideal = [0.5, -1.0, 2.0];
        var random = new Random(23);
        var options = new FamoOptions { LearningRate = 0.05, Decay = 0.02, UseAdam = useAdam };
        var weighting = new FamoWeighting(3, IdealPoint.Given(ideal), options);
        var reference = new FamoReference(3, options.LearningRate, options.Decay, useAdam);
        double[] minLosses = ideal.Select(z => -z).ToArray();
        double[]? previousLosses = null;
        var weights = new double[3];
        for (int step = 0; step < 25; step++)
        {
            double[] losses = minLosses.Select(m => m + 0.1 + (random.NextDouble() * 3.0 / (1.0 + (0.2 * step)))).ToArray();
            var input = WeightingInput.FromRewards(losses.Select(x => -x).ToArray());
            weighting.Observe(input);
            if (previousLosses is not null)
            {
                reference.Update(previousLosses, losses, minLosses);
            }

            weighting.ComputeWeights(input, weights);
            double[] expected = reference.Weights(losses, minLosses);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(Math.Abs(expected[i] - weights[i]) <= 1e-13, $"step {step}, objective {i}: {weights[i]:R} vs {expected[i]:R}");
            }

            previousLosses = losses;
        }
    }

    [Fact]
    public void TrackedIdealPointIsTheReferenceWithMovingMinimumLosses()
    {
        // A tracked ideal point is the authors' set_min_losses(−(running max of f + margin)) before each update.
        const double margin = 0.5;
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 4, steps: 15, n: 2);
        var weighting = new FamoWeighting(2, IdealPoint.Tracked(margin));
        var reference = new FamoReference(2, 0.025, 0.01, useAdam: true);
        double[] maxima = (double[])path[0].Clone();
        var weights = new double[2];
        for (int t = 0; t < path.Length; t++)
        {
            var input = WeightingInput.FromRewards(path[t]);
            weighting.Observe(input);
            for (int i = 0; i < 2; i++)
            {
                maxima[i] = Math.Max(maxima[i], path[t][i]);
            }

            double[] minLosses = maxima.Select(m => -(m + margin)).ToArray();
            double[] losses = path[t].Select(x => -x).ToArray();
            if (t > 0)
            {
                reference.Update(path[t - 1].Select(x => -x).ToArray(), losses, minLosses);
            }

            weighting.ComputeWeights(input, weights);
            double[] expected = reference.Weights(losses, minLosses);
            Assert.Equal(expected[0], weights[0], tolerance: 1e-13);
            Assert.Equal(expected[1], weights[1], tolerance: 1e-13);
        }
    }

    [Fact]
    public void WeightsTimesLossesAreTheSoftmaxOfTheLogits()
    {
        // Σ cᵢ ∇ℓᵢ ∝ Σ zᵢ ∇log ℓᵢ: cᵢ ℓᵢ / zᵢ is the same for every objective.
        var weighting = new FamoWeighting(3, IdealPoint.Given(1.0, 1.0, 1.0));
        double[][] path = [[0.0, -1.0, -2.0], [0.5, -0.8, -1.0], [0.6, -0.2, -0.9], [0.7, 0.1, -0.85]];
        foreach (double[] f in path)
        {
            weighting.Observe(WeightingInput.FromRewards(f));
        }

        var weights = new double[3];
        var logits = new double[3];
        weighting.ComputeWeights(WeightingInput.FromRewards(path[^1]), weights);
        weighting.CopyLogits(logits);
        double partition = logits.Sum(Math.Exp);
        double[] ratio = Enumerable.Range(0, 3).Select(i => weights[i] * (1.0 - path[^1][i]) / (Math.Exp(logits[i]) / partition)).ToArray();
        Assert.Equal(ratio[0], ratio[1], tolerance: 1e-14);
        Assert.Equal(ratio[0], ratio[2], tolerance: 1e-14);
    }

    [Fact]
    public void ResumeContinuesIdentically()
    {
        double[][] path = StatefulWeightingChecks.RewardPath(seed: 6, steps: 14, n: 3);
        foreach (bool useAdam in new[] { true, false })
        {
            foreach (int split in new[] { 0, 1, 6 })
            {
                var options = new FamoOptions { UseAdam = useAdam };
                StatefulWeightingChecks.ResumeContinuesIdentically(
                    new FamoWeighting(3, IdealPoint.Tracked(0.25), options),
                    new FamoWeighting(3, IdealPoint.Tracked(0.25), options),
                    path,
                    split);
            }
        }
    }

    [Fact]
    public void BadInputIsNamed()
    {
        Assert.Equal("LearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new FamoOptions { LearningRate = -1.0 }).ParamName);
        Assert.Equal("Decay", Assert.Throws<ArgumentOutOfRangeException>(() => new FamoOptions { Decay = double.NaN }).ParamName);
        Assert.Equal("idealPoint", Assert.Throws<ArgumentException>(() => new FamoWeighting(2, IdealPoint.Tracked())).ParamName);
        Assert.Equal("objectiveCount", Assert.Throws<ArgumentOutOfRangeException>(() => new FamoWeighting(-1, IdealPoint.Tracked(1.0))).ParamName);

        var weighting = new FamoWeighting(2, IdealPoint.Given(1.0, 1.0));
        weighting.Observe(WeightingInput.FromRewards(new[] { 0.0, 0.0 }));
        weighting.Observe(WeightingInput.FromRewards(new[] { 0.5, 0.0 }));
        StatefulWeightingChecks.ObserveRejects(weighting, [double.NaN, 0.0], "Mean reward of objective 0 is NaN.");
        StatefulWeightingChecks.ObserveRejects(weighting, [0.0, 2.0], "Mean reward of objective 1 (2) is not below its ideal point (1)");
        Assert.StartsWith("Mean reward of objective 1 (1) is not below", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromRewards(new[] { 0.0, 1.0 }), new double[2])).Message);
        Assert.Equal("destination", Assert.Throws<ArgumentException>(() => weighting.CopyLogits(new double[3])).ParamName);

        // A margin negligible against the rewards: the shortfall rounds to 0 and is named instead of giving NaN weights.
        var negligible = new FamoWeighting(2, IdealPoint.Tracked(1e-3));
        negligible.Observe(WeightingInput.FromRewards(new[] { 1e20, 0.0 }));
        Assert.StartsWith("The shortfall of objective 0 from its ideal point", Assert.Throws<ArgumentException>(() => negligible.ComputeWeights(WeightingInput.FromRewards(new[] { 1e20, 0.0 }), new double[2])).Message);
        StatefulWeightingChecks.ObserveRejects(negligible, [1e20, 0.5], "The shortfall of objective 0 from its ideal point");

        // State: [count, ξ ×2, m ×2, v ×2, f(t) ×2].
        var state = new double[weighting.StateLength];
        weighting.SaveState(state);
        double[] negativeSecondMoment = (double[])state.Clone();
        negativeSecondMoment[5] = -1.0;
        StatefulWeightingChecks.LoadRejects(weighting, negativeSecondMoment, "State entry 5 (the Adam second moment of objective 0) is negative (-1).");
        double[] aboveIdeal = (double[])state.Clone();
        aboveIdeal[8] = 1.0;
        StatefulWeightingChecks.LoadRejects(weighting, aboveIdeal, "State entry 8 (the last mean reward of objective 1) is 1, above the running maximum or not below the given ideal point.");
        StatefulWeightingChecks.LoadRejects(weighting, [1.0, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "State entry 1 (the logit of objective 0) is 0.3 but must be 0 after 1 observed steps.");
        double[] infinite = (double[])state.Clone();
        infinite[2] = double.PositiveInfinity;
        StatefulWeightingChecks.LoadRejects(weighting, infinite, "State entry 2 (the logit of objective 1) is positive infinity.");
    }

    /// <summary>
    /// The authors' FAMO written on losses in plain float64, independently of the library: weights z/D normalised with
    /// D = ℓ − ℓ_min, update from δ = log D(prev) − log D(curr) through the explicit softmax Jacobian, then
    /// PyTorch's Adam with coupled weight decay (or a plain gradient step).
    /// </summary>
    private sealed class FamoReference(int n, double learningRate, double decay, bool useAdam)
    {
        private readonly double[] w = new double[n];
        private readonly double[] m = new double[n];
        private readonly double[] v = new double[n];
        private int steps;

        public double[] Weights(double[] losses, double[] minLosses)
        {
            double[] z = Softmax(w);
            double[] raw = Enumerable.Range(0, n).Select(i => z[i] / (losses[i] - minLosses[i])).ToArray();
            double c = raw.Sum();
            return raw.Select(x => x / c).ToArray();
        }

        public void Update(double[] previous, double[] current, double[] minLosses)
        {
            double[] delta = Enumerable.Range(0, n)
                .Select(i => Math.Log(previous[i] - minLosses[i]) - Math.Log(current[i] - minLosses[i]))
                .ToArray();
            double[] z = Softmax(w);
            var grad = new double[n];
            for (int j = 0; j < n; j++)
            {
                // (Jᵀδ)ⱼ = Σᵢ ∂zᵢ/∂wⱼ δᵢ with ∂zᵢ/∂wⱼ = zᵢ(1[i = j] − zⱼ).
                for (int i = 0; i < n; i++)
                {
                    grad[j] += z[i] * ((i == j ? 1.0 : 0.0) - z[j]) * delta[i];
                }

                grad[j] += decay * w[j];
            }

            if (!useAdam)
            {
                for (int j = 0; j < n; j++)
                {
                    w[j] -= learningRate * grad[j];
                }

                return;
            }

            steps++;
            double biasCorrection1 = 1.0 - Math.Pow(0.9, steps);
            double biasCorrection2 = 1.0 - Math.Pow(0.999, steps);
            for (int j = 0; j < n; j++)
            {
                m[j] = (0.9 * m[j]) + (0.1 * grad[j]);
                v[j] = (0.999 * v[j]) + (0.001 * grad[j] * grad[j]);
                double denominator = (Math.Sqrt(v[j]) / Math.Sqrt(biasCorrection2)) + 1e-8;
                w[j] -= learningRate / biasCorrection1 * m[j] / denominator;
            }
        }

        private static double[] Softmax(double[] x)
        {
            double[] e = x.Select(Math.Exp).ToArray();
            double s = e.Sum();
            return e.Select(y => y / s).ToArray();
        }
    }
}
