using Pama.Examples;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Pama.Weightings;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A method written outside the library (the README's) plugs into the trainer through <see cref="IMultiObjectiveMethod"/>.</summary>
public sealed class CustomMethodTests
{
    [Fact]
    public void TheStageGivesAllWeightToTheObjectiveWithTheLowestMeanReward()
    {
        // Rewards given to the step by hand: objective 2 has the lowest mean (−0.5); the advantages are arbitrary.
        double[] a = [1, -1, 0.5, /* t=1 */ 3, 5, -2, /* padding */ 9, -9, -9];
        Tensor advantages = tensor(a, [1, 3, 3], ScalarType.Float64);
        Tensor mask = tensor(new double[] { 1, 1, 0 }, [1, 3], ScalarType.Float64);
        Tensor logProbs = zeros(1, 3, ScalarType.Float64);
        var stage = new CombineStage(new LowestRewardFirstMethod(), 3);
        stage.BeginStep([0.2, 0.1, -0.5]);

        CombinedAdvantage combined = stage.Combine(new MethodInput(advantages, logProbs, logProbs, mask, zeros(1, 3, 2, ScalarType.Float64), 0.2));

        Assert.Equal([0.0, 0.0, 1.0], combined.Weights);
        Assert.Equal([0.5, -2.0, -9.0], TinyModels.Values(combined.Advantage));
        Assert.True(combined.UpdatesPolicy);
    }

    [Fact]
    public void AWeightingThatReadsRewardsNeedsTheStepsRewards()
    {
        var stage = new CombineStage(new LowestRewardFirstMethod(), 2);
        Tensor logProbs = zeros(1, 2, ScalarType.Float64);
        var input = new MethodInput(ones(1, 2, 2, ScalarType.Float64), logProbs, logProbs, ones(1, 2, ScalarType.Float64), zeros(1, 2, 2, ScalarType.Float64), 0.2);
        Assert.Throws<InvalidOperationException>(() => stage.Combine(input));
    }

    [Fact]
    public void TrainerTrainsWithTheReadmesMethodAndPassesItTheBatchsRewards()
    {
        var options = TinyModels.Options(new LowestRewardFirstMethod()) with { PpoEpochs = 1 };
        var (trainer, policy) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        // Independently: the lowest of the step's reported mean rewards gets all the weight.
        int lowest = metrics.MeanRewards[0] <= metrics.MeanRewards[1] ? 0 : 1;
        Assert.Equal(1.0, metrics.Weights[lowest]);
        Assert.Equal(0.0, metrics.Weights[1 - lowest]);
        Assert.True(metrics.PolicyUpdated);
        Assert.False(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)), "the step must move the policy");
    }

    [Fact]
    public void ACustomMethodWithFixedWeightsTrainsExactlyAsMorlhf()
    {
        IRewardObjective[] objectives = TinyModels.VowelsAndLength();
        Dictionary<string, double[]> After(IMultiObjectiveMethod method)
        {
            var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(method), objectives);
            using var _ = trainer;
            trainer.Step(TinyModels.Prompts);
            return TinyModels.Snapshot(policy);
        }

        Assert.True(TinyModels.BitwiseEqual(
            After(new WeightingMethod("fixed", _ => new PreferenceWeighting(0.25, 0.75))), After(new MorlhfMethod(0.25, 0.75))));
    }
}
