using Pama.FineTune.Corpus;
using Pama.FineTune.Rewards;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class SentimentClassifierTests
{
    private static readonly Review[] Toy =
    [
        new("good film", ReviewSentiment.Positive),
        new("good good acting", ReviewSentiment.Positive),
        new("bad film", ReviewSentiment.Negative),
        new("bad bad acting", ReviewSentiment.Negative),
    ];

    [Fact]
    public void LearnsTheSignOfSentimentWords()
    {
        SentimentClassifier classifier = SentimentClassifier.Train(Toy);
        Assert.True(classifier.Logit("good") > 0);
        Assert.True(classifier.Logit("bad") < 0);
        Assert.Equal(1.0, classifier.Accuracy(Toy));
    }

    [Fact]
    public void LogitDependsOnWordFrequenciesNotLength()
    {
        // Features are counts divided by the number of words, so repeating a text changes nothing.
        SentimentClassifier classifier = SentimentClassifier.Train(Toy);
        Assert.Equal(classifier.Logit("good film bad"), classifier.Logit("good film bad good film bad"), 12);
    }

    [Fact]
    public void UnknownWordsDiluteTowardsTheBias()
    {
        // logit = b + (sum of known weights) / n: "good" alone vs. "good" plus one unknown word
        // must satisfy logit2 - b = (logit1 - b) / 2, with b the logit of a text without words.
        SentimentClassifier classifier = SentimentClassifier.Train(Toy);
        double bias = classifier.Logit("");
        double one = classifier.Logit("good");
        double two = classifier.Logit("good zebra");
        Assert.Equal((one - bias) / 2, two - bias, 12);
    }

    [Fact]
    public void MixedReviewsHaveNoLabelAndAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => SentimentClassifier.Train([.. Toy, new Review("good but bad", ReviewSentiment.Mixed)]));
        Assert.Contains("Review 4", error.Message);
    }

    [Fact]
    public void SeparatesTheEmbeddedCorpusOnHeldOutReviews()
    {
        ReviewCorpus corpus = ReviewCorpus.Create(pretrainingReviews: 1, classifierReviewsPerClass: 800, heldOutPromptCount: 1);
        SentimentClassifier classifier = SentimentClassifier.Train(corpus.ClassifierTraining);
        Assert.True(classifier.Accuracy(corpus.ClassifierTest) > 0.9);
    }
}
