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
}
