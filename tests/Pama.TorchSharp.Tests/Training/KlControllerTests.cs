using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Ppo;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The adaptive KL controller of Ziegler et al. (2019), against the formula written out.</summary>
public sealed class KlControllerTests
{
    [Theory]
    [InlineData(6.0, 0.0)]      // error clipped at −0.2
    [InlineData(6.0, 6.6)]      // error +0.1
    [InlineData(6.0, 100.0)]    // error clipped at +0.2
    public void AdaptiveCoefficientFollowsTheProportionalRule(double target, double observed)
    {
        var controller = new KlController(0.2, new AdaptiveKlOptions(target, Horizon: 1000));
        controller.Update(observed, responseCount: 64);

        double error = Math.Clamp(observed / target - 1, -0.2, 0.2);
        Assert.Equal(0.2 * (1 + error * 64 / 1000.0), controller.Coefficient, 15);
    }

    [Fact]
    public void FixedCoefficientNeverChanges()
    {
        var controller = new KlController(0.2, adaptive: null);
        controller.Update(50, 64);
        Assert.Equal(0.2, controller.Coefficient);
    }
}
