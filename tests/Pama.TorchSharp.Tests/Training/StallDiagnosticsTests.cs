using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Why the policy did not move, per update, and the one warning after a run of stationary updates.</summary>
public sealed class StallDiagnosticsTests
{
    // Rewards that vary with the response, one of them negative for every response.
    private static IRewardObjective[] Objectives() =>
    [
        RewardObjective.FromText("length", (p, r) => r.Length / 6.0),
        RewardObjective.FromText("penalty", (p, r) => -1.0 - r.Count(c => c == 'e') / 6.0),
    ];

    [Fact]
    public void ZeroValueHeadsStallOnAnAlwaysNegativeObjectiveAndTheMetricsAndOneWarningSayWhich()
    {
        // Zero heads and π = π_ref: A'^penalty_t = λ^(L−1−t) R^penalty < 0 on every token, so a_penalty = 0 and s* = 0.
        var options = TinyModels.Options() with { ValueHeadInitialization = ValueHeadInitialization.Zero, StallWarningUpdates = 3 };
        var (trainer, _) = TinyModels.Trainer(options, Objectives());
        using var __ = trainer;
        var warnings = new List<string>();
        trainer.Warning += warnings.Add;

        StepMetrics first = trainer.Step(TinyModels.Prompts);

        Assert.False(first.PolicyUpdated);
        Assert.Equal(first.Updates, first.StationaryDetails.Count);
        Assert.Equal([1, 2], first.StationaryDetails.Select(d => d.Update));
        Assert.All(first.StationaryDetails, d => Assert.Equal(["penalty"], d.ObjectivesWithoutPositiveAdvantage));
        Assert.Contains("'penalty'", first.StationaryReason);
        Assert.Empty(warnings);                       // 2 stationary updates < 3

        trainer.Step(TinyModels.Prompts);
        Assert.Single(warnings);                      // 4 consecutive ≥ 3
        Assert.Contains("'penalty'", warnings[0]);
        Assert.Contains("s* = 0", warnings[0]);

        trainer.Step(TinyModels.Prompts);
        Assert.Single(warnings);                      // once per trainer
    }

    [Fact]
    public void DefaultValueHeadsCentreTheFirstAdvantagesSoTheSameObjectivesMoveThePolicyAtOnce()
    {
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options() with { StallWarningUpdates = 1 }, Objectives());
        using var __ = trainer;
        var warnings = new List<string>();
        trainer.Warning += warnings.Add;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.True(metrics.PolicyUpdated, metrics.StationaryReason);
        Assert.Null(metrics.StationaryReason);
        Assert.Empty(warnings);
        Assert.False(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }

    [Fact]
    public void FirstBatchCalibrationSetsEachBiasToItsObjectivesMeanReward()
    {
        // KL = 0 and γ = 1 at the first step, so every response token's return is its response's reward: the calibrated
        // bias is the mean over responses of R^i weighted by response length. Recorded here from the rewards themselves.
        var rewards = new List<(double Length, double Penalty, int Tokens)>();
        IRewardObjective[] objectives =
        [
            RewardObjective.FromTokenIds("length", (p, r) => { rewards.Add((r.Count / 6.0, 0, r.Count)); return r.Count / 6.0; }),
            RewardObjective.FromTokenIds("penalty", (p, r) => -1.0 - r.Count(c => c % 2 == 0) / 6.0),
        ];
        var expectedPenalty = new List<double>();
        IRewardObjective[] recording =
        [
            objectives[0],
            RewardObjective.FromTokenIds("penalty", (p, r) => { double v = -1.0 - r.Count(c => c % 2 == 0) / 6.0; expectedPenalty.Add(v); return v; }),
        ];
        // Only the calibration is observed: the value heads do not train (value loss weight 0) and weight decay is off.
        var options = TinyModels.Options() with { ValueLossCoefficient = 0, WeightDecay = 0 };
        var (trainer, _) = TinyModels.Trainer(options, recording);
        using var __ = trainer;

        trainer.Step(TinyModels.Prompts);

        int tokens = rewards.Sum(r => r.Tokens);
        double length = rewards.Sum(r => r.Length * r.Tokens) / tokens;
        double penalty = rewards.Select((r, b) => expectedPenalty[b] * r.Tokens).Sum() / tokens;
        double[] bias = TinyModels.Snapshot(trainer.ValueHeads)["bias"];
        Assert.Equal(length, bias[0], 12);
        Assert.Equal(penalty, bias[1], 12);
    }
}
