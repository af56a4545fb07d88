using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A method written outside the library plugs into the trainer through <see cref="IMultiObjectiveMethod"/>.</summary>
public sealed class CustomMethodTests
{
    [Fact]
    public void TchebycheffPutsAllWeightOnTheWorstObjective()
    {
        // Means over the two masked tokens, by hand: objective 0 → (1 + 3) / 2 = 2, objective 1 → (−1 + 5) / 2 = 2,
        // objective 2 → (0 + 0) / 2 = 0, the worst; the padded token (9, −9, −9) must not count.
        double[] a = [1, -1, 0, /* t=1 */ 3, 5, 0, /* padding */ 9, -9, -9];
        Tensor advantages = tensor(a, [1, 3, 3], ScalarType.Float64);
        Tensor mask = tensor(new double[] { 1, 1, 0 }, [1, 3], ScalarType.Float64);
        Tensor logProbs = zeros(1, 3, ScalarType.Float64);
        var method = new TchebycheffMethod();

        CombinedAdvantage combined = method.Combine(new MethodInput(advantages, logProbs, logProbs, mask, zeros(1, 3, 2, ScalarType.Float64), 0.2));

        Assert.Equal([0.0, 0.0, 1.0], combined.Weights);
        Assert.Equal([0.0, 0.0, -9.0], TinyModels.Values(combined.Advantage));
    }

    [Fact]
    public void TrainerTrainsWithAMethodDefinedOutsideTheLibrary()
    {
        var method = new TchebycheffMethod();
        var options = TinyModels.Options(method) with { PpoEpochs = 1 };
        var (trainer, policy) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        double[] weights = Assert.Single(method.Calls);
        Assert.Equal(weights, metrics.Weights);
        Assert.Equal(1.0, weights.Max());
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

        Assert.True(TinyModels.BitwiseEqual(After(new FixedWeights(0.25, 0.75)), After(new MorlhfMethod(0.25, 0.75))));
    }

    private sealed class FixedWeights(params double[] weights) : IMultiObjectiveMethod
    {
        public string Name => "fixed";

        public CombinedAdvantage Combine(MethodInput input) => CombinedAdvantage.Weighted(input.Advantages, weights);
    }
}
