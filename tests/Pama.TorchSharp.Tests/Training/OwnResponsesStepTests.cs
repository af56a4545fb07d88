using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary><c>Step(rollout, rewards)</c> on responses and rewards brought from elsewhere (TRL's step(queries, responses, scores)).</summary>
public sealed class OwnResponsesStepTests
{
    private static IRewardObjective[] Objectives() => TinyModels.VowelsAndLength();

    [Fact]
    public void GivenResponsesAreScoredAsUnpaddedSequences()
    {
        using var scope = NewDisposeScope();
        var policy = TinyModels.Gpt2(1);
        var reference = TinyModels.Gpt2(2);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, TinyModels.Tokenizer, Objectives(), TinyModels.Options());
        int end = TinyModels.Tokenizer.EndOfTextId;
        int[][] prompts = [[3, 4, 5], [7], [1, 2]];
        int[][] responses = [[8, 9], [10, 11, 12, end, 13], [14]];

        using RolloutBatch rollout = trainer.FromResponses(prompts, responses);

        // Independent reference: each row alone, without padding; log π(y_t) = log_softmax(logits at P−1+t)[y_t].
        Assert.Equal([2.0, 4.0, 1.0], TinyModels.Values(rollout.Sequences.ResponseMask.sum(1)));   // cut after the end token
        Assert.Equal(string.Concat(new[] { 10, 11, 12 }.Select(i => CharacterTokenizer.Alphabet[i])), rollout.Texts.Responses[1]);
        for (int b = 0; b < prompts.Length; b++)
        {
            int[] row = [.. prompts[b], .. responses[b].Take((int)TinyModels.Values(rollout.Sequences.ResponseMask[b].sum())[0])];
            foreach (var (model, logProbs) in new[] { (policy, rollout.OldLogProbs), (reference, rollout.ReferenceLogProbs) })
            {
                using var noGrad = no_grad();
                Tensor logits = model.Forward(tensor(row.Select(i => (long)i).ToArray(), [1, row.Length])).Logits[0].log_softmax(-1);
                double[] actual = TinyModels.Values(logProbs[b]);
                for (int t = 0; t < row.Length - prompts[b].Length; t++)
                {
                    double expected = logits[prompts[b].Length - 1 + t, row[prompts[b].Length + t]].to(ScalarType.Float64).item<double>();
                    Assert.Equal(expected, actual[t], 10);
                }
            }
        }
    }

    [Fact]
    public void StepOnTheSameResponsesAndRewardsEqualsTheSampledStep()
    {
        // Trainer A samples and steps; trainer B is given A's responses and rewards. With one minibatch the update does not
        // depend on the row order, so the two policies must agree.
        var options = TinyModels.Options() with { MiniBatches = 1, PpoEpochs = 2 };
        var (sampling, sampled) = TinyModels.Trainer(options, Objectives());
        var (given, replayed) = TinyModels.Trainer(options with { Seed = 99 }, Objectives());
        using var a = sampling;
        using var b = given;
        using var scope = NewDisposeScope();

        RolloutBatch rollout = sampling.Generate(TinyModels.Prompts);
        Tensor rewards = sampling.Score(rollout);
        StepMetrics expected = sampling.Step(rollout, rewards);
        RolloutBatch theirs = given.FromResponses(
            [.. rollout.Texts.PromptTokenIds.Select(p => (IReadOnlyList<int>)p)], [.. rollout.Texts.ResponseTokenIds.Select(r => (IReadOnlyList<int>)r)]);
        StepMetrics actual = given.Step(theirs, rewards.clone());

        Assert.Equal(expected.MeanRewards, actual.MeanRewards);
        Assert.Equal(expected.Kl, actual.Kl, 10);
        var left = TinyModels.Snapshot(sampled);
        var right = TinyModels.Snapshot(replayed);
        Assert.All(left, kv => Assert.Equal(kv.Value, right[kv.Key], new ToleranceComparer(1e-9)));
    }

    [Fact]
    public void BadRewardsAreRefusedNamingObjectiveAndSampleBeforeAnyChange()
    {
        var (trainer, policy) = TinyModels.Trainer(TinyModels.Options(), Objectives());
        using var _ = trainer;
        using var scope = NewDisposeScope();
        var before = TinyModels.Snapshot(policy);
        RolloutBatch rollout = trainer.FromResponses([[3, 4], [5]], [[6, 7], [8, 9, 10]]);

        Assert.Throws<ArgumentException>(() => trainer.Step(rollout, zeros(2, 3, ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => trainer.Step(rollout, zeros(3, 2, ScalarType.Float64)));
        var error = Assert.Throws<InvalidRewardException>(() => trainer.Step(rollout, tensor(new[] { 0.0, 1.0, 2.0, double.NaN }, [2, 2])));
        Assert.Contains("'length'", error.Message);
        Assert.Contains("sample 1", error.Message);
        Assert.Throws<ArgumentException>(() => trainer.FromResponses([[3]], [[]]));
        Assert.Throws<ArgumentException>(() => trainer.FromResponses([[3]], [[TinyModels.Tokenizer.VocabularySize]]));
        Assert.Throws<ArgumentException>(() => trainer.FromResponses([[3], [4]], [[5]]));

        Assert.Equal(0, trainer.StepCount);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
