using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>End-to-end PAMA steps on a tiny random GPT-2.</summary>
public sealed class PamaStepTests
{
    private static double LogProbability(Gpt2Model model, int[] prompt, int[] response) => LogProbabilities(model, prompt, response).Sum();

    private static double[] LogProbabilities(Gpt2Model model, int[] prompt, int[] response)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long[] ids = [.. prompt.Concat(response).Select(i => (long)i)];
        Tensor sequence = tensor(ids, [1, ids.Length]);
        Tensor attention = ones_like(sequence);
        var sequences = new RolloutSequences(sequence, attention, PromptBatch.PositionIds(attention), prompt.Length,
            ones(1, response.Length, ScalarType.Float64));
        return TinyModels.Values(ResponseForward.Run(model, sequences).LogProbs);
    }

    [Fact]
    public void TokenWithPositiveNoonAdvantagesForEveryObjectiveGainsLogProbability()
    {
        var samples = new List<(int[] Prompt, int[] Response)>();
        var objectives = new[]
        {
            RewardObjective.FromTokenIds("one", (p, r) => { samples.Add(([.. p], [.. r])); return 1.0; }),
            RewardObjective.FromTokenIds("two", (p, r) => 2.0),
        };
        var policy = TinyModels.Gpt2(1);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, objectives,
            TinyModels.Options() with
            {
                PpoEpochs = 1, Generation = new() { MaxNewTokens = 1 }, ValueHeadInitialization = ValueHeadInitialization.Zero,
            });
        var initial = TinyModels.Gpt2(1);

        StepMetrics metrics = trainer.Step(["hello there"]);

        // Value heads start at 0 (ValueHeadInitialization.Zero) and KL is 0 at the first step, so A'^i = R^i > 0 for both objectives:
        // a = (1, 2)·1[u ≤ 1+ε] = (1, 2), s* = 1 and all weight goes to the first objective.
        Assert.True(metrics.PolicyUpdated);
        Assert.Equal(1.0, metrics.OptimalValue, 12);
        Assert.Equal([1.0, 0.0], metrics.Weights);
        var (prompt, response) = Assert.Single(samples);
        Assert.Single(response);
        Assert.True(LogProbability(policy, prompt, response) > LogProbability(initial, prompt, response));
    }

    [Fact]
    public void DiscountedLogProbabilityOfPositiveResponsesIncreases()
    {
        var samples = new List<(int[] Prompt, int[] Response)>();
        var objectives = new[]
        {
            RewardObjective.FromTokenIds("one", (p, r) => { samples.Add(([.. p], [.. r])); return 1.5; }),
            RewardObjective.FromText("two", (p, r) => 1.0),
        };
        var options = TinyModels.Options() with { PpoEpochs = 1, KlCoefficient = 0, ValueHeadInitialization = ValueHeadInitialization.Zero };
        var policy = TinyModels.Gpt2(1);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, objectives, options);
        var initial = TinyModels.Gpt2(1);

        trainer.Step(TinyModels.Prompts);

        // With V = 0 (ValueHeadInitialization.Zero) and β = 0, every token has A'^i_t = λ^(L−1−t) R^i > 0; the weights pick the smaller reward, so
        // the update ascends Σ_t λ^(L−1−t) log π(y_t), which must increase for a small step.
        double Discounted(Gpt2Model model) => samples.Sum(s =>
        {
            double[] logProbs = LogProbabilities(model, s.Prompt, s.Response);
            return logProbs.Select((l, t) => Math.Pow(((GeneralizedAdvantageEstimation)options.AdvantageEstimator).Lambda, logProbs.Length - 1 - t) * l).Sum();
        });
        Assert.True(Discounted(policy) > Discounted(initial));
    }

    [Fact]
    public void ObjectiveWithoutPositiveAdvantagesMakesTheBatchStationaryAndLeavesThePolicyBitwiseUnchanged()
    {
        var objectives = new[]
        {
            RewardObjective.FromText("good", (p, r) => 1.0),
            RewardObjective.FromText("hopeless", (p, r) => -1000.0),
        };
        var policy = TinyModels.Gpt2(1);
        // Zero heads: A'^hopeless = λ^(L−1−t)·(−1000) < 0 on every token, so its Noon statistic is 0.
        using var trainer = new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, objectives,
            TinyModels.Options() with { ValueHeadInitialization = ValueHeadInitialization.Zero });
        var before = TinyModels.Snapshot(policy);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.Equal(0.0, metrics.OptimalValue);
        Assert.All(metrics.StationaryDetails, d => Assert.Equal(["hopeless"], d.ObjectivesWithoutPositiveAdvantage));
        Assert.False(metrics.PolicyUpdated);
        Assert.Equal(metrics.Updates, metrics.StationaryUpdates);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)), "s* = 0 must leave every policy parameter untouched");
        Assert.False(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)), "the value heads still train");
    }

    [Fact]
    public void NonFiniteLossIsRefusedBeforeAnyParameterChanges()
    {
        var objectives = new[]
        {
            RewardObjective.FromText("huge", (p, r) => 1e308),
            RewardObjective.FromText("huger", (p, r) => 1.5e308),
        };
        var policy = TinyModels.Gpt2(1);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, objectives, TinyModels.Options());
        var before = TinyModels.Snapshot(policy);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        Assert.Throws<NonFiniteTrainingException>(() => trainer.Step(TinyModels.Prompts));

        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
        Assert.True(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)));
        Assert.Equal(0, trainer.StepCount);
    }

    [Fact]
    public void StepsAreDeterministicGivenTheSeedAndTokenIdPromptsEqualTextPrompts()
    {
        IRewardObjective[] Objectives() =>
        [
            RewardObjective.FromText("vowels", (p, r) => r.Count(c => "aeiou".Contains(c))),
            RewardObjective.FromText("length", (p, r) => r.Length / 4.0),
        ];
        var (fromText, textPolicy) = TinyModels.Trainer(TinyModels.Options(), Objectives());
        var (fromIds, idsPolicy) = TinyModels.Trainer(TinyModels.Options(), Objectives());
        var (otherSeed, otherPolicy) = TinyModels.Trainer(TinyModels.Options() with { Seed = 12 }, Objectives());
        using var _ = fromText;
        using var __ = fromIds;
        using var ___ = otherSeed;
        IReadOnlyList<int>[] ids = [.. TinyModels.Prompts.Select(p => TinyModels.Tokenizer.Encode(p))];

        StepMetrics a = fromText.Step(TinyModels.Prompts);
        StepMetrics b = fromIds.Step(ids);
        otherSeed.Step(TinyModels.Prompts);

        Assert.Equal(a.PolicyLoss, b.PolicyLoss);
        Assert.Equal(a.MeanRewards, b.MeanRewards);
        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(textPolicy), TinyModels.Snapshot(idsPolicy)));
        Assert.False(TinyModels.BitwiseEqual(TinyModels.Snapshot(textPolicy), TinyModels.Snapshot(otherPolicy)), "another seed samples other responses");
    }
}
