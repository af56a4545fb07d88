using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>MORLHF, MGDA-UB and group-relative steps on a tiny random GPT-2.</summary>
public sealed class BaselineStepTests
{
    private static double Vowels(string r) => r.Count(c => "aeiou".Contains(c)) / 2.0;

    private static double Length(string r) => Math.Clamp(r.Length / 3.0, 0.5, 1.5);

    private static Dictionary<string, double[]> PolicyAfterOneStep(PamaTrainerOptions options, params IRewardObjective[] objectives)
    {
        var (trainer, policy) = TinyModels.Trainer(options, objectives);
        using var _ = trainer;
        trainer.Step(TinyModels.Prompts);
        return TinyModels.Snapshot(policy);
    }

    private static double MaxDifference(Dictionary<string, double[]> a, Dictionary<string, double[]> b) =>
        a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).Max());

    [Theory]
    [InlineData(AdvantageWhitening.None)]
    [InlineData(AdvantageWhitening.PerObjective)]
    public void MorlhfEqualsPpoOnTheScalarisedReward(AdvantageWhitening whitening)
    {
        // Value heads start at zero and GAE is linear, so Σ w_i A'^i is the advantage of Σ w_i R^i with the KL
        // penalty counted once (Σ w_i = 1): the policy must move exactly as single-objective PPO on that reward.
        // With whitening, MORLHF whitens that combined advantage, which is what PPO on the scalarised reward whitens.
        var options = TinyModels.Options(new MorlhfMethod()) with { AdvantageWhitening = whitening };
        var weighted = PolicyAfterOneStep(options with { Method = new MorlhfMethod(0.3, 0.7) },
            RewardObjective.FromText("vowels", (p, r) => Vowels(r)), RewardObjective.FromText("length", (p, r) => Length(r)));
        var scalarised = PolicyAfterOneStep(options,
            RewardObjective.FromText("mix", (p, r) => 0.3 * Vowels(r) + 0.7 * Length(r)));
        var initial = TinyModels.Snapshot(TinyModels.Gpt2(1));

        Assert.True(MaxDifference(weighted, initial) > 1e-4, "the step must move the policy");
        Assert.True(MaxDifference(weighted, scalarised) < 1e-10);
    }

    [Fact]
    public void MorlhfWithWeightsOneZeroIsPpoOnTheFirstObjective()
    {
        var options = TinyModels.Options(new MorlhfMethod());
        IRewardObjective vowels = RewardObjective.FromText("vowels", (p, r) => Vowels(r)), length = RewardObjective.FromText("length", (p, r) => Length(r));
        var first = PolicyAfterOneStep(options with { Method = new MorlhfMethod(1.0, 0.0) }, vowels, length);
        var second = PolicyAfterOneStep(options with { Method = new MorlhfMethod(0.0, 1.0) }, vowels, length);
        var single = PolicyAfterOneStep(options, vowels);

        Assert.True(MaxDifference(first, single) < 1e-10);
        Assert.True(MaxDifference(first, second) > 1e-4, "a different objective must give a different update");
    }

    [Fact]
    public void MgdaUbStepUsesSimplexWeightsAndMovesThePolicy()
    {
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(new MgdaUbMethod()),
            RewardObjective.FromText("vowels", (p, r) => Vowels(r)), RewardObjective.FromText("length", (p, r) => Length(r)),
            RewardObjective.FromText("negative", (p, r) => -Length(r)));
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.Equal(1.0, metrics.Weights.Sum(), 9);
        Assert.All(metrics.Weights, w => Assert.InRange(w, 0.0, 1.0));
        Assert.True(metrics.OptimalValue > 0, "MGDA's optimal value is the squared norm cᵀGc of the min-norm point");
        Assert.True(metrics.PolicyUpdated);
        Assert.True(MaxDifference(before, TinyModels.Snapshot(policy)) > 0);
    }

    [Fact]
    public void GroupRelativeStepTrainsThePolicyAndNoValueHead()
    {
        var options = TinyModels.Options() with { AdvantageEstimator = new GroupRelativeAdvantages(3), SamplesPerPrompt = 3 };
        var (trainer, policy) = TinyModels.Trainer(options,
            RewardObjective.FromText("vowels", (p, r) => Vowels(r)), RewardObjective.FromText("length", (p, r) => Length(r)));
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.Empty(metrics.ValueLosses);
        Assert.True(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)));
        Assert.Equal(metrics.PolicyUpdated, !TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }
}
