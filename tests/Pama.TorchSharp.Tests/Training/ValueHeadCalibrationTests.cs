using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Critic;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The first-batch calibration of the value heads' biases.</summary>
public sealed class ValueHeadCalibrationTests
{
    [Fact]
    public void MeanReturnsAreTheMeanOverResponseTokensOfTheDiscountedReturnToGo()
    {
        // Two rows, T = 3, n = 2; row 1 has two response tokens. Returns-to-go by hand with γ = 0.5:
        // row 0, objective 0: rewards (1, 2, 4) → G = (1 + 0.5·2 + 0.25·4, 2 + 0.5·4, 4) = (3, 4, 4)
        // row 1, objective 0: rewards (8, 16, –) → G = (16, 16)
        // objective 1 = −objective 0. Mean over the 5 tokens: (3 + 4 + 4 + 16 + 16) / 5 = 8.6.
        double[] r0 = [1, 2, 4, 8, 16, 0];
        var rewards = new double[12];
        for (int k = 0; k < 6; k++) { rewards[2 * k] = r0[k]; rewards[2 * k + 1] = -r0[k]; }
        Tensor tokenRewards = tensor(rewards, [2, 3, 2], ScalarType.Float32);
        Tensor mask = tensor(new float[] { 1, 1, 1, 1, 1, 0 }, [2, 3]);

        double[] means = TinyModels.Values(ValueHeadCalibration.MeanReturns(tokenRewards, mask, 0.5));

        Assert.Equal(8.6, means[0], 12);
        Assert.Equal(-8.6, means[1], 12);
    }
}
