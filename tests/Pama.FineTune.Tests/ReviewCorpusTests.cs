using Pama.FineTune.Corpus;
using Pama.FineTune.Experiment;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class ReviewCorpusTests
{
    [Fact]
    public void HeldOutPromptsNeverAppearAmongTrainingPrompts()
    {
        ReviewCorpus corpus = ReviewCorpus.Create(pretrainingReviews: 10, classifierReviewsPerClass: 10, heldOutPromptCount: 64);
        Assert.Equal(64, corpus.HeldOutPrompts.Count);
        Assert.Empty(corpus.HeldOutPrompts.Intersect(corpus.TrainingPrompts));
        Assert.Equal(corpus.TrainingPrompts.Count, corpus.TrainingPrompts.Distinct().Count());
    }

    [Fact]
    public void TheGrammarIsDeterministicPerSeed()
    {
        var a = new ReviewGrammar(7);
        var b = new ReviewGrammar(7);
        var c = new ReviewGrammar(8);
        string[] first = Enumerable.Range(0, 20).Select(_ => a.Next().Text).ToArray();
        Assert.Equal(first, Enumerable.Range(0, 20).Select(_ => b.Next().Text));
        Assert.NotEqual(first, Enumerable.Range(0, 20).Select(_ => c.Next().Text));
    }

    [Fact]
    public void StepPromptsAreADistinctSampleFixedBySeedAndStep()
    {
        string[] pool = Enumerable.Range(0, 100).Select(i => $"prompt {i}").ToArray();
        IReadOnlyList<string> batch = ExperimentRunner.PromptsForStep(pool, seed: 3, step: 5, batchSize: 32);
        Assert.Equal(32, batch.Count);
        Assert.Equal(32, batch.Distinct().Count());
        Assert.All(batch, p => Assert.Contains(p, pool));
        Assert.Equal(batch, ExperimentRunner.PromptsForStep(pool, 3, 5, 32));
        Assert.NotEqual(batch, ExperimentRunner.PromptsForStep(pool, 3, 6, 32));
    }
}
