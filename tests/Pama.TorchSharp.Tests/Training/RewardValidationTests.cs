using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Bad rewards are rejected, naming the objective and the sample, before any parameter changes.</summary>
public sealed class RewardValidationTests
{
    private sealed class ShortObjective : IRewardObjective
    {
        public string Name => "short";
        public IReadOnlyList<double> Score(RewardBatch batch) => new double[batch.Count - 1];
    }

    public static TheoryData<string, int?> Cases => new()
    {
        { "nan", 1 },
        { "infinity", 2 },
        { "short", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadRewardIsRejectedNamingObjectiveAndSampleWithNoParameterChange(string kind, int? sample)
    {
        IRewardObjective bad = kind switch
        {
            "nan" => RewardObjective.FromText("nan", (p, r) => p == TinyModels.Prompts[1] ? double.NaN : 0.5),
            "infinity" => RewardObjective.FromText("infinity", (p, r) => p == TinyModels.Prompts[2] ? double.PositiveInfinity : 0.5),
            _ => new ShortObjective(),
        };
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(), RewardObjective.FromText("fine", (p, r) => r.Length), bad);
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        var error = Assert.Throws<InvalidRewardException>(() => trainer.Step(TinyModels.Prompts));

        Assert.Equal(1, error.ObjectiveIndex);
        Assert.Equal(kind, error.ObjectiveName);
        Assert.Equal(sample, error.SampleIndex);
        Assert.Contains($"'{kind}'", error.Message);
        if (sample is { } s) Assert.Contains($"sample {s}", error.Message);
        else Assert.Contains("returned 2 rewards for 3 samples", error.Message);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
        Assert.True(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)));
        Assert.Equal(0, trainer.StepCount);
    }

    private sealed class FailingScorer : IRewardObjective
    {
        public string Name => "remote";
        public IReadOnlyList<double> Score(RewardBatch batch) => throw new HttpRequestException("503 Service Unavailable");
    }

    [Fact]
    public void ObjectiveThatThrowsOnASampleIsNamedWithTheSampleAndPromptAndKeepsTheCause()
    {
        var cause = new InvalidOperationException("reward model out of memory");
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(), RewardObjective.FromText("fine", (p, r) => r.Length),
            RewardObjective.FromText("model", (p, r) => p == TinyModels.Prompts[2] ? throw cause : 0.5));
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        var error = Assert.Throws<InvalidRewardException>(() => trainer.Step(TinyModels.Prompts));

        Assert.Same(cause, error.InnerException);
        Assert.Equal(1, error.ObjectiveIndex);
        Assert.Equal("model", error.ObjectiveName);
        Assert.Equal(2, error.SampleIndex);
        Assert.Contains("'model'", error.Message);
        Assert.Contains("sample 2", error.Message);
        Assert.Contains(TinyModels.Prompts[2], error.Message);
        Assert.Contains("reward model out of memory", error.Message);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
        Assert.True(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)));
        Assert.Equal(0, trainer.StepCount);
    }

    [Fact]
    public void ObjectiveThatThrowsOnTheBatchIsNamedAndKeepsTheCause()
    {
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(), new FailingScorer(), RewardObjective.FromText("fine", (p, r) => r.Length));
        using var _ = trainer;
        var before = TinyModels.Snapshot(policy);

        var error = Assert.Throws<InvalidRewardException>(() => trainer.Step(TinyModels.Prompts));

        Assert.IsType<HttpRequestException>(error.InnerException);
        Assert.Equal(0, error.ObjectiveIndex);
        Assert.Equal("remote", error.ObjectiveName);
        Assert.Null(error.SampleIndex);
        Assert.Contains("'remote'", error.Message);
        Assert.Contains("503 Service Unavailable", error.Message);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
        Assert.Equal(0, trainer.StepCount);
    }

    [Fact]
    public void CancellationPassesThroughUnwrapped()
    {
        var (trainer, _) = TinyModels.Trainer(TinyModels.Options(), RewardObjective.FromText("fine", (p, r) => r.Length),
            RewardObjective.FromText("cancelled", (p, r) => throw new OperationCanceledException()));
        using var __ = trainer;
        Assert.Throws<OperationCanceledException>(() => trainer.Step(TinyModels.Prompts));
    }
}
