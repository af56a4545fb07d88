using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Random weighting: softmax of standard normals, reproducible from seed and step, checkpointed state.</summary>
public sealed class RandomWeightingTests
{
    [Fact]
    public void WeightsAreOnTheSimplexAndChangeEveryStep()
    {
        var weighting = new RandomWeighting(seed: 11);
        var input = WeightingInput.FromObjectiveCount(5);
        var previous = new double[5];
        for (int step = 0; step < 100; step++)
        {
            var w = new double[5];
            weighting.ComputeWeights(input, w);
            Assert.All(w, x => Assert.True(x > 0.0 && x < 1.0));
            Assert.Equal(1.0, w.Sum(), 14);
            Assert.NotEqual(previous, w);
            previous = w;
            weighting.Observe(input);
        }
    }

    [Fact]
    public void TwoObjectiveWeightFollowsTheLogisticNormalLaw()
    {
        // With two objectives w₁ = σ(z₁ − z₂), z₁ − z₂ ~ N(0, 2): E[w₁] = ½ by symmetry and E[w₁²] is computed here
        // by quadrature. 20,000 draws: standard errors about 0.002 and 0.0015.
        double secondMoment = 0.0;
        const int Points = 20000;
        for (int k = 0; k < Points; k++)
        {
            double x = -12.0 + (24.0 * (k + 0.5) / Points);
            double density = Math.Exp(-x * x / 4.0) / Math.Sqrt(4.0 * Math.PI);
            double s = 1.0 / (1.0 + Math.Exp(-x));
            secondMoment += s * s * density * (24.0 / Points);
        }

        var weighting = new RandomWeighting(seed: 2024);
        var input = WeightingInput.FromObjectiveCount(2);
        var w = new double[2];
        double sum = 0.0, sumSquares = 0.0;
        const int Draws = 20000;
        for (int step = 0; step < Draws; step++)
        {
            weighting.ComputeWeights(input, w);
            sum += w[0];
            sumSquares += w[0] * w[0];
            weighting.Observe(input);
        }

        Assert.Equal(0.5, sum / Draws, 0.008);
        Assert.Equal(secondMoment, sumSquares / Draws, 0.006);
    }

    [Fact]
    public void StateRestoresTheStream()
    {
        var input = WeightingInput.FromObjectiveCount(3);
        var original = new RandomWeighting(seed: 9);
        for (int step = 0; step < 17; step++)
        {
            original.Observe(input);
        }

        var state = new double[original.StateLength];
        original.SaveState(state);
        var restored = new RandomWeighting(seed: 9);
        restored.LoadState(state);
        var a = new double[3];
        var b = new double[3];
        original.ComputeWeights(input, a);
        restored.ComputeWeights(input, b);
        Assert.Equal(a, b);

        var otherSeed = new RandomWeighting(seed: 10);
        otherSeed.LoadState(state);
        otherSeed.ComputeWeights(input, b);
        Assert.NotEqual(a, b);
        Assert.Throws<ArgumentException>(() => restored.LoadState([double.NaN]));
    }
}
