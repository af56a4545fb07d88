using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A supplied optimizer and a learning-rate schedule, through steps and through a checkpoint.</summary>
public sealed class OptimizerAndScheduleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-schedule-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IRewardObjective[] Objectives() => TinyModels.VowelsAndLength();

    [Fact]
    public void SuppliedOptimizerIsUsedAndAZeroScheduleFactorFreezesThePolicy()
    {
        var calls = new List<(int Count, double LearningRate)>();
        OptimizerFactory sgd = (parameters, learningRate) =>
        {
            calls.Add((parameters.Count, learningRate));
            return optim.SGD(parameters, learningRate);
        };
        // Factor 1 at step 0, then 0 from step 1 on (linear decay to zero at step 1, no warm-up).
        var options = TinyModels.Options() with
        {
            PolicyOptimizer = sgd,
            ValueOptimizer = sgd,
            LearningRateSchedule = LearningRateSchedule.LinearWarmupDecay(warmupSteps: 0, totalSteps: 1),
        };
        var (trainer, policy) = TinyModels.Trainer(options, Objectives());
        using var _ = trainer;

        Assert.Equal([(policy.parameters().Count(), options.LearningRate), (2, options.ValueLearningRate)], calls);
        var initial = TinyModels.Snapshot(policy);
        trainer.Step(TinyModels.Prompts);
        var afterFirst = TinyModels.Snapshot(policy);
        trainer.Step(TinyModels.Prompts);

        Assert.False(TinyModels.BitwiseEqual(initial, afterFirst), "factor 1: the first step moves the policy");
        Assert.True(TinyModels.BitwiseEqual(afterFirst, TinyModels.Snapshot(policy)), "factor 0: SGD with learning rate 0 changes nothing");
    }

    [Fact]
    public void ResumingContinuesTheScheduleExactly()
    {
        var options = TinyModels.Options() with { LearningRateSchedule = LearningRateSchedule.LinearWarmupDecay(warmupSteps: 2, totalSteps: 5) };
        string path = Path.Combine(_directory, "trainer.ckpt");
        var (original, originalPolicy) = TinyModels.Trainer(options, Objectives());
        using var a = original;
        original.Step(TinyModels.Prompts);
        original.Save(path);
        original.Step(TinyModels.Prompts);
        original.Step(TinyModels.Prompts);

        var resumedPolicy = TinyModels.Gpt2(77);
        using var resumed = new PamaTrainer<Gpt2Model>(resumedPolicy, TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), options);
        resumed.Load(path);
        resumed.Step(TinyModels.Prompts);
        resumed.Step(TinyModels.Prompts);

        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(originalPolicy), TinyModels.Snapshot(resumedPolicy)));
    }
}
