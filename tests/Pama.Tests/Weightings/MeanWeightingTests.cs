using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Mean weighting: 1/n whatever the input, and length checks.</summary>
public sealed class MeanWeightingTests
{
    [Fact]
    public void WeightsAreOneOverN()
    {
        var weighting = new MeanWeighting();
        Assert.Equal(WeightingInputs.ObjectiveCount, weighting.Reads);
        var w = new double[4];
        Assert.True(double.IsNaN(weighting.ComputeWeights(WeightingInput.FromObjectiveCount(4), w)));
        Assert.Equal([0.25, 0.25, 0.25, 0.25], w);
        weighting.ComputeWeights(WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(4)), w);
        Assert.Equal([0.25, 0.25, 0.25, 0.25], w);
    }

    [Fact]
    public void LengthMismatchIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new MeanWeighting().ComputeWeights(WeightingInput.FromObjectiveCount(3), new double[2]));
        Assert.Contains("3 objectives", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MeanWeighting().ComputeWeights(default, new double[2]));
    }
}
