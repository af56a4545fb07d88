namespace Pama.FineTune.Corpus;

/// <summary>
/// The four disjoint data sets the sample draws from the <see cref="ReviewGrammar"/>, each from
/// its own seed so that none is a copy of another:
/// the policy's pretraining text, the sentiment classifier's labelled training and test reviews,
/// and the alignment prompts, split into training prompts and held-out prompts that share no string.
/// </summary>
public sealed class ReviewCorpus
{
    private const int PretrainingSeed = 1001;
    private const int ClassifierTrainSeed = 2002;
    private const int ClassifierTestSeed = 3003;
    private const int PromptSeed = 4004;

    private ReviewCorpus(
        IReadOnlyList<string> pretrainingTexts,
        IReadOnlyList<Review> classifierTraining,
        IReadOnlyList<Review> classifierTest,
        IReadOnlyList<string> trainingPrompts,
        IReadOnlyList<string> heldOutPrompts)
    {
        PretrainingTexts = pretrainingTexts;
        ClassifierTraining = classifierTraining;
        ClassifierTest = classifierTest;
        TrainingPrompts = trainingPrompts;
        HeldOutPrompts = heldOutPrompts;
    }

    /// <summary>Reviews of every polarity the policy is pretrained on.</summary>
    public IReadOnlyList<string> PretrainingTexts { get; }

    /// <summary>Positive and negative reviews (no mixed ones) the sentiment classifier learns from.</summary>
    public IReadOnlyList<Review> ClassifierTraining { get; }

    /// <summary>Positive and negative reviews used only to report the classifier's accuracy.</summary>
    public IReadOnlyList<Review> ClassifierTest { get; }

    /// <summary>Review openings (three to six words) the policy is aligned on.</summary>
    public IReadOnlyList<string> TrainingPrompts { get; }

    /// <summary>Review openings never used in training, for the final evaluation.</summary>
    public IReadOnlyList<string> HeldOutPrompts { get; }

    /// <summary>Every text the sample ever tokenizes, for building the compact vocabulary.</summary>
    public IEnumerable<string> AllTexts =>
        PretrainingTexts
            .Concat(ClassifierTraining.Select(r => r.Text))
            .Concat(ClassifierTest.Select(r => r.Text))
            .Concat(TrainingPrompts)
            .Concat(HeldOutPrompts);

    /// <summary>Builds the default corpus.</summary>
    /// <param name="pretrainingReviews">Number of pretraining reviews.</param>
    /// <param name="classifierReviewsPerClass">Labelled reviews per class for classifier training (the test set is a quarter of it).</param>
    /// <param name="heldOutPromptCount">Number of held-out prompts.</param>
    public static ReviewCorpus Create(int pretrainingReviews = 8000, int classifierReviewsPerClass = 3000, int heldOutPromptCount = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pretrainingReviews);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classifierReviewsPerClass);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heldOutPromptCount);

        var pretraining = new ReviewGrammar(PretrainingSeed);
        string[] pretrainingTexts = Enumerable.Range(0, pretrainingReviews).Select(_ => pretraining.Next().Text).ToArray();

        Review[] classifierTraining = Labelled(ClassifierTrainSeed, classifierReviewsPerClass);
        Review[] classifierTest = Labelled(ClassifierTestSeed, Math.Max(1, classifierReviewsPerClass / 4));

        (string[] training, string[] heldOut) = Prompts(PromptSeed, heldOutPromptCount);
        return new ReviewCorpus(pretrainingTexts, classifierTraining, classifierTest, training, heldOut);
    }

    private static Review[] Labelled(int seed, int perClass)
    {
        var grammar = new ReviewGrammar(seed);
        var reviews = new Review[2 * perClass];
        for (int i = 0; i < perClass; i++)
        {
            reviews[2 * i] = grammar.Next(ReviewSentiment.Positive);
            reviews[(2 * i) + 1] = grammar.Next(ReviewSentiment.Negative);
        }

        return reviews;
    }

    // Openings of fresh reviews, three to six words, deduplicated, shuffled, then split so that
    // no held-out prompt string ever appears among the training prompts.
    private static (string[] Training, string[] HeldOut) Prompts(int seed, int heldOutCount)
    {
        var grammar = new ReviewGrammar(seed);
        var random = new Random(seed);
        var distinct = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 20_000; i++)
        {
            string[] words = grammar.Next().Text.Split(' ');
            int take = Math.Min(words.Length, random.Next(3, 7));
            string prompt = string.Join(' ', words, 0, take);
            if (seen.Add(prompt)) distinct.Add(prompt);
        }

        string[] shuffled = distinct.ToArray();
        random.Shuffle(shuffled);
        if (shuffled.Length < 2 * heldOutCount)
        {
            throw new InvalidOperationException($"The grammar produced only {shuffled.Length} distinct prompts; {heldOutCount} held-out prompts need at least twice as many.");
        }

        return (shuffled[heldOutCount..], shuffled[..heldOutCount]);
    }
}
