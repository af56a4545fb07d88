using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>An objective whose advantages are all zero has a zero gradient and must not stop PAMA or MGDA-UB.</summary>
public sealed class FlatObjectiveTests
{
    [Fact]
    public void FindFlagsExactlyTheObjectivesWithoutANonzeroAdvantageOnAResponseToken()
    {
        // [b = 2, T = 2, n = 3]; objective 1 is nonzero only on a padded token, so it counts as flat.
        Tensor advantages = tensor(new double[] { 0, 0, 0.5, /**/ 0, 0, 0, /**/ 0, 0, -1e-30, /**/ 0, 7, 0 }, [2, 2, 3]);
        Tensor mask = tensor(new double[] { 1, 1, 1, 0 }, [2, 2]);

        Assert.Equal([true, true, false], FlatObjectives.Find(advantages, mask));
        Assert.Equal([2], FlatObjectives.Active([true, true, false]));
        Assert.Empty(FlatObjectives.Active([true, true]));
    }

    [Theory]
    [InlineData("pama")]
    [InlineData("mgda-ub")]
    public void AConstantRewardGetsWeightZeroAndThePolicyFollowsTheOtherObjective(string name)
    {
        IMultiObjectiveMethod method = name == "pama" ? new PamaMethod() : new MgdaUbMethod();
        // First step with the default calibration: V^constant = 2 exactly and KL = 0, so A'^constant = 0 on every token.
        // Left in Theorem 1 (or MGDA's min-norm point) its zero gradient would give s* = 0 / weight 1 on a zero vector.
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(method) with { PpoEpochs = 1 },
            RewardObjective.FromText("constant", (p, r) => 2.0),
            RewardObjective.FromText("length", (p, r) => r.Length / 6.0));
        using var __ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.True(metrics.PolicyUpdated, metrics.StationaryReason);
        Assert.Equal([0.0, 1.0], metrics.Weights);
        Assert.False(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }

    [Fact]
    public void WhenEveryObjectiveIsFlatPamaIsStationaryAndSaysTheRewardsDidNotVary()
    {
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(),
            RewardObjective.FromText("a", (p, r) => 2.0), RewardObjective.FromText("b", (p, r) => -0.5));
        using var __ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.False(metrics.PolicyUpdated);
        Assert.All(metrics.StationaryDetails, d => Assert.Equal(["a", "b"], d.FlatObjectives));
        Assert.Contains("did not vary", metrics.StationaryReason);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }
}
