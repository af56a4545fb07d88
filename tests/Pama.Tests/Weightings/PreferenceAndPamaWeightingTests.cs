using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>The fixed-preference and PAMA weightings, and the shared input type.</summary>
public sealed class PreferenceAndPamaWeightingTests
{
    [Fact]
    public void PreferencesAreNormalisedToTheSimplex()
    {
        var weighting = new PreferenceWeighting(1.0, 3.0, 0.0, 4.0);
        var weights = new double[4];

        weighting.ComputeWeights(WeightingInput.FromObjectiveCount(4), weights);

        Assert.Equal([0.125, 0.375, 0.0, 0.5], weights);
        Assert.Equal(weights, weighting.Weights);
        Assert.Equal(4, weighting.ObjectiveCount);

        // Huge preferences whose plain sum overflows still normalise.
        var huge = new PreferenceWeighting(double.MaxValue, double.MaxValue);
        Assert.Equal([0.5, 0.5], huge.Weights);

        // The batch content is ignored: statistics do not change fixed weights.
        var fromStatistics = new double[4];
        weighting.ComputeWeights(WeightingInput.FromStatistics(new[] { 5.0, -1.0, 2.0, 0.0 }), fromStatistics);
        Assert.Equal(weights, fromStatistics);
    }

    [Fact]
    public void InvalidPreferencesAreNamedByObjective()
    {
        Assert.StartsWith("Preference of objective 1 is negative", Assert.Throws<ArgumentException>(() => new PreferenceWeighting(1.0, -0.5)).Message);
        var nan = Assert.Throws<ArgumentException>(() => new PreferenceWeighting(1.0, 2.0, double.NaN));
        Assert.Equal("preferences", nan.ParamName);
        Assert.StartsWith("Preference of objective 2 is NaN.", nan.Message);
        Assert.StartsWith("Preference of objective 0 is positive infinity.", Assert.Throws<ArgumentException>(() => new PreferenceWeighting(double.PositiveInfinity)).Message);
        Assert.Equal("preferences", Assert.Throws<ArgumentException>(() => new PreferenceWeighting(0.0, 0.0)).ParamName);
        Assert.Equal("preferences", Assert.Throws<ArgumentException>(() => new PreferenceWeighting(ReadOnlySpan<double>.Empty)).ParamName);

        var weighting = new PreferenceWeighting(1.0, 1.0);
        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromObjectiveCount(3), new double[3])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), new double[3])).ParamName);
    }

    [Fact]
    public void PamaWeightingIsTheoremOne()
    {
        IWeighting weighting = new PamaWeighting();
        var weights = new double[3];

        weighting.ComputeWeights(WeightingInput.FromStatistics(new[] { 2.0, -1.0, 5.0 }), weights);

        // Mixed signs: c_min = 5 / (5 + 1) on −1, c_max = 1 / 6 on 5.
        Assert.Equal(0.0, weights[0]);
        Assert.Equal(5.0 / 6.0, weights[1], 15);
        Assert.Equal(1.0 / 6.0, weights[2], 15);

        Assert.Equal("input", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(3)), weights)).ParamName);
        Assert.StartsWith("Statistic of objective 1 is NaN.", Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromStatistics(new[] { 1.0, double.NaN, 1.0 }), weights)).Message);
    }

    [Fact]
    public void WeightingInputChecksConsistency()
    {
        var both = WeightingInput.Create(new[] { 1.0, 2.0 }, Matrix<double>.Build.DenseIdentity(2));
        Assert.Equal(2, both.ObjectiveCount);
        Assert.NotNull(both.Gramian);
        Assert.Equal(2, both.Statistics.Length);

        Assert.Equal(3, WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(3)).ObjectiveCount);
        Assert.Equal("gramian", Assert.Throws<ArgumentException>(() => WeightingInput.Create(new[] { 1.0, 2.0 }, Matrix<double>.Build.DenseIdentity(3))).ParamName);
        Assert.Equal("gramian", Assert.Throws<ArgumentException>(() => WeightingInput.FromGramian(Matrix<double>.Build.Dense(2, 3))).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => WeightingInput.FromStatistics(ReadOnlyMemory<double>.Empty)).ParamName);
        Assert.Equal("objectiveCount", Assert.Throws<ArgumentOutOfRangeException>(() => WeightingInput.FromObjectiveCount(0)).ParamName);
    }
}
