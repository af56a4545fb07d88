using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Settings that depend on the model fail at construction (or before sampling), saying what to change.</summary>
public sealed class ModelOptionsTests
{
    private static readonly IRewardObjective[] Objectives = [RewardObjective.FromText("length", (p, r) => r.Length)];

    [Fact]
    public void MaxNewTokensThatLeaveNoRoomForAPromptAreRejectedAtConstructionNamingTheProperty()
    {
        int context = TinyModels.Config().ContextLength;
        var options = TinyModels.Options() with { Generation = new SamplingOptions { MaxNewTokens = context } };

        var error = Assert.Throws<ArgumentException>(() =>
            new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives, options));

        Assert.Equal("Generation.MaxNewTokens", error.ParamName);
        Assert.Contains($"context length is {context}", error.Message);
    }

    [Fact]
    public void APromptTooLongForTheContextIsRejectedBeforeSamplingNamingThePromptAndTheFix()
    {
        int context = TinyModels.Config().ContextLength;
        var options = TinyModels.Options() with { Generation = new SamplingOptions { MaxNewTokens = 8 } };
        var (trainer, policy) = TinyModels.Trainer(options, Objectives);
        using var __ = trainer;
        var before = TinyModels.Snapshot(policy);

        var error = Assert.Throws<ArgumentException>(() => trainer.Step(["short", new string('x', context - 7)]));

        Assert.Equal("prompts", error.ParamName);
        Assert.Contains("Prompt 1", error.Message);
        Assert.Contains($"at most {context - 8} tokens", error.Message);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
        Assert.Equal(0, trainer.StepCount);
    }
}
