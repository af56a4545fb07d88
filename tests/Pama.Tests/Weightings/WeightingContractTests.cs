using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>The weighting contract: what each weighting reads, the optimal value it returns, and rewards in the input.</summary>
public sealed class WeightingContractTests
{
    [Fact]
    public void EachWeightingDeclaresWhatItReadsAndReturnsItsOptimalValue()
    {
        var weights = new double[2];

        IWeighting pama = new PamaWeighting();
        Assert.Equal(WeightingInputs.Statistics, pama.Reads);
        // Both statistics positive: all weight on the smaller, s* = 1 (Theorem 1 by hand).
        Assert.Equal(1.0, pama.ComputeWeights(WeightingInput.FromStatistics(new[] { 3.0, 1.0 }), weights));
        Assert.Equal([0.0, 1.0], weights);

        IWeighting mgda = new MgdaWeighting();
        Assert.Equal(WeightingInputs.Gramian, mgda.Reads);
        // Orthogonal unit gradients: c = (½, ½), ‖d‖² = ½.
        Assert.Equal(0.5, mgda.ComputeWeights(WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(2)), weights), 12);

        IWeighting preference = new PreferenceWeighting(1.0, 1.0);
        Assert.Equal(WeightingInputs.ObjectiveCount, preference.Reads);
        Assert.True(double.IsNaN(preference.ComputeWeights(WeightingInput.FromObjectiveCount(2), weights)));
    }

    [Fact]
    public void RewardsTravelWithTheOtherInputsAndMustAgreeInCount()
    {
        var rewards = WeightingInput.FromRewards(new[] { 0.5, -1.0, 2.0 });
        Assert.Equal(3, rewards.ObjectiveCount);
        Assert.Equal([0.5, -1.0, 2.0], rewards.Rewards.ToArray());
        Assert.True(rewards.Statistics.IsEmpty);
        Assert.Null(rewards.Gramian);

        var all = WeightingInput.Create(new[] { 1.0, 2.0 }, Matrix<double>.Build.DenseIdentity(2), new[] { 3.0, 4.0 });
        Assert.Equal(2, all.ObjectiveCount);
        Assert.Equal("rewards", Assert.Throws<ArgumentException>(() => WeightingInput.Create(new[] { 1.0, 2.0 }, null, new[] { 1.0 })).ParamName);
        Assert.Equal("gramian", Assert.Throws<ArgumentException>(() => WeightingInput.Create(ReadOnlyMemory<double>.Empty, Matrix<double>.Build.DenseIdentity(3), new[] { 1.0 })).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => WeightingInput.FromRewards(ReadOnlyMemory<double>.Empty)).ParamName);
    }
}
