using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Ppo;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The last check before an optimizer step: gradients are clipped per group, and a non-finite one is refused.</summary>
public sealed class GradientGuardTests
{
    private static Parameter WithGradient(params double[] gradient)
    {
        var parameter = new Parameter(zeros(gradient.Length, ScalarType.Float64));
        parameter.grad = tensor(gradient, ScalarType.Float64);
        return parameter;
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteGradientIsRefusedAndEveryGroupsGradientIsZeroed(double bad)
    {
        Parameter[] policy = [WithGradient(0.5, -2.0), WithGradient(3.0)];
        Parameter[] values = [WithGradient(1.0, bad)];

        var error = Assert.Throws<NonFiniteTrainingException>(() => GradientGuard.ClipOrRefuse(1.0, ("policy", policy), ("value-head", values)));

        Assert.Contains("value-head", error.Message);
        // An optimizer stepping after a caught exception must find nothing to apply.
        foreach (Parameter p in policy.Concat(values))
            Assert.All(TinyModels.Values(p.grad!), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void EachGroupIsClippedToTheMaximumGlobalNormOnItsOwn()
    {
        Parameter[] large = [WithGradient(3.0, 0.0), WithGradient(4.0)];   // norm 5 → scaled by 2/5
        Parameter[] small = [WithGradient(0.6, -0.8)];                     // norm 1 → untouched

        GradientGuard.ClipOrRefuse(2.0, ("large", large), ("small", small));

        double[] first = TinyModels.Values(large[0].grad!), second = TinyModels.Values(large[1].grad!), third = TinyModels.Values(small[0].grad!);
        Assert.Equal(1.2, first[0], 6);
        Assert.Equal(0.0, first[1], 12);
        Assert.Equal(1.6, second[0], 6);
        Assert.Equal(0.6, third[0], 12);
        Assert.Equal(-0.8, third[1], 12);
    }
}
