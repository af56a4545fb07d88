using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Each value head regresses on its own objective's returns.</summary>
public sealed class ValueHeadTests
{
    [Fact]
    public void EachHeadMovesTowardsItsOwnObjectivesReturns()
    {
        // First step: V = 0 and π = π_ref (KL = 0), so with γ = 1 every response token's return for objective i
        // is R^i: +2 for the first objective, −3 for the second. The squared-error gradient of head i's bias is
        // mean(V − R^i), so the first bias must rise and the second fall; swapped or shared targets would not do that.
        var (trainer, _) = TinyModels.Trainer(TinyModels.Options() with { AdvantageEstimator = new GeneralizedAdvantageEstimation(gamma: 1.0, lambda: 0.95) },
            RewardObjective.FromText("up", (p, r) => 2.0), RewardObjective.FromText("down", (p, r) => -3.0));
        using var __ = trainer;

        trainer.Step(TinyModels.Prompts);

        double[] bias = TinyModels.Snapshot(trainer.ValueHeads)["bias"];
        Assert.Equal(2, bias.Length);
        Assert.True(bias[0] > 0, $"head 0 bias {bias[0]} should move towards +2");
        Assert.True(bias[1] < 0, $"head 1 bias {bias[1]} should move towards −3");
    }
}
