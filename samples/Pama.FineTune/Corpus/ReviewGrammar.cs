using System.Text;

namespace Pama.FineTune.Corpus;

/// <summary>
/// A seeded template grammar that writes short English movie reviews: an optional opening
/// sentence that sets the scene, one to five body sentences of praise, criticism or both, and
/// an optional verdict. It stands in for IMDb, which this sample cannot download: it gives the
/// policy a language to pretrain on, the sentiment classifier labelled data, and the
/// alignment prompts (review openings), all from one deterministic source.
/// </summary>
/// <remarks>
/// The same seed always yields the same reviews. Body length is skewed towards short
/// reviews, so a pretrained policy stops early more often than not and the length objective has
/// room to grow; polarity is 40% positive, 40% negative, 20% mixed, so the sentiment objective
/// starts near neutral.
/// </remarks>
public sealed class ReviewGrammar
{
    private static readonly string[] Movies =
    [
        "this movie", "this film", "the film", "this picture", "this thriller", "this comedy",
        "this drama", "this western", "this horror movie", "this romance", "the sequel",
        "this documentary", "this musical", "this war film", "this crime story", "the remake",
    ];

    private static readonly string[] Genres =
    [
        "thriller", "comedy", "drama", "western", "horror movie", "romance", "mystery",
        "war film", "crime story", "musical", "family film", "science fiction film", "cartoon",
    ];

    private static readonly string[] GenresPlural =
    [
        "thrillers", "comedies", "dramas", "westerns", "horror movies", "romances", "mysteries",
        "war films", "crime stories", "musicals", "family films", "cartoons", "old movies",
    ];

    private static readonly string[] Times =
    [
        "last night", "last week", "on Sunday", "on Friday night", "yesterday", "over the weekend",
        "on a long flight", "at the cinema", "on television", "this morning", "years ago",
    ];

    private static readonly string[] Companions =
    [
        "my wife", "my husband", "my brother", "my sister", "my friends", "my kids", "my parents",
        "my girlfriend", "my boyfriend", "a friend from work", "my roommate", "my whole family",
    ];

    private static readonly string[] Relatives =
    [
        "brother", "sister", "mother", "father", "best friend", "neighbor", "teacher", "cousin",
    ];

    private static readonly string[] Premises =
    [
        "a family that moves to a small town", "two brothers who rob a bank", "a detective chasing a killer",
        "a soldier coming home from the war", "a girl who wants to become a singer", "a ship lost at sea",
        "a teacher and her students", "a group of friends on a road trip", "a haunted house in the woods",
        "an old man and his dog", "a boxer who gets one last chance", "a couple falling in love in Paris",
        "a scientist who builds a robot", "a young lawyer and a hard case", "a town hiding a dark secret",
    ];

    private static readonly string[] Reasons =
    [
        "the cover looked good", "a friend told me to", "I like the lead actor", "it won some awards",
        "nothing else was on", "I had read the book", "the trailer looked fun", "it was cheap",
    ];

    private static readonly string[] Aspects =
    [
        "acting", "plot", "script", "music", "ending", "camera work", "dialogue", "cast", "pacing",
        "direction", "soundtrack", "special effects", "story", "editing", "score", "lighting",
        "costumes", "humor", "first half", "second half", "main character", "villain",
    ];

    private static readonly string[] People =
    [
        "the lead actor", "the lead actress", "the director", "the young star", "the old actor",
        "the whole cast", "the writer", "the supporting cast", "the villain", "the hero",
    ];

    private static readonly string[] Roles =
    [
        "the detective", "the mother", "the old sailor", "the young teacher", "the villain",
        "the lonely boxer", "the singer", "the doctor", "the soldier", "the captain", "the hero",
    ];

    private static readonly string[] PositiveAdjectives =
    [
        "good", "great", "wonderful", "excellent", "beautiful", "brilliant", "superb", "charming",
        "moving", "fantastic", "amazing", "lovely", "clever", "powerful", "delightful", "strong",
        "perfect", "touching", "funny", "smart", "gorgeous", "memorable", "fresh", "solid",
    ];

    private static readonly string[] NegativeAdjectives =
    [
        "bad", "awful", "terrible", "boring", "dull", "weak", "poor", "silly", "stupid", "lazy",
        "horrible", "flat", "painful", "confusing", "messy", "cheap", "annoying", "forgettable",
        "clumsy", "predictable", "pointless", "ugly", "wooden", "tired",
    ];

    private static readonly string[] Intensifiers =
    [
        "", "", "", "very ", "really ", "truly ", "quite ", "simply ", "so ", "pretty ", "just ",
    ];

    private static readonly string[] PositiveSuperlatives = ["best", "finest", "most moving", "funniest", "most beautiful"];

    private static readonly string[] NegativeSuperlatives = ["worst", "dullest", "most boring", "silliest", "most painful"];

    private static readonly string[] PositiveFeelings = ["cry", "smile", "laugh", "think", "want to see it again"];

    private static readonly string[] Durations = ["ten minutes", "half an hour", "the first hour", "twenty minutes"];

    private static readonly string[] PositiveVerdicts =
    [
        "Highly recommended.", "Go and see it.", "A must see.", "I loved every minute of it.",
        "Ten out of ten.", "Nine out of ten.", "Eight out of ten.", "Do not miss it.",
        "I will watch it again.", "A real gem.",
    ];

    private static readonly string[] NegativeVerdicts =
    [
        "Avoid it.", "What a waste of time.", "Skip this one.", "One out of ten.", "Two out of ten.",
        "Three out of ten.", "Not worth your money.", "I want those hours back.", "Stay away.",
        "A total mess.",
    ];

    private static readonly string[] MixedVerdicts =
    [
        "Five out of ten.", "Six out of ten.", "Worth a look, but only once.", "Not great, not terrible.",
        "Good in parts.", "Watch it if you have nothing better to do.",
    ];

    private readonly Random _random;

    /// <summary>Creates a grammar whose reviews are fixed by <paramref name="seed"/>.</summary>
    public ReviewGrammar(int seed) => _random = new Random(seed);

    /// <summary>Writes the next review.</summary>
    public Review Next()
    {
        double roll = _random.NextDouble();
        ReviewSentiment sentiment = roll < 0.4 ? ReviewSentiment.Positive
            : roll < 0.8 ? ReviewSentiment.Negative
            : ReviewSentiment.Mixed;
        return new Review(Write(sentiment), sentiment);
    }

    /// <summary>Writes the next review with a chosen polarity.</summary>
    public Review Next(ReviewSentiment sentiment) => new(Write(sentiment), sentiment);

    private string Write(ReviewSentiment sentiment)
    {
        var sentences = new List<string>();
        if (_random.NextDouble() < 0.75) sentences.Add(Opening());

        // 1..5 body sentences, short reviews most likely (weights 5:4:3:2:1).
        int bodyCount = 1 + Weighted(5, 4, 3, 2, 1);
        for (int i = 0; i < bodyCount; i++)
        {
            sentences.Add(sentiment switch
            {
                ReviewSentiment.Positive => Praise(),
                ReviewSentiment.Negative => Criticism(),
                _ => i % 2 == 0 ? Contrast() : (_random.NextDouble() < 0.5 ? Praise() : Criticism()),
            });
        }

        if (_random.NextDouble() < 0.5)
        {
            sentences.Add(Pick(sentiment switch
            {
                ReviewSentiment.Positive => PositiveVerdicts,
                ReviewSentiment.Negative => NegativeVerdicts,
                _ => MixedVerdicts,
            }));
        }

        var text = new StringBuilder();
        foreach (string sentence in sentences)
        {
            if (text.Length > 0) text.Append(' ');
            text.Append(char.ToUpperInvariant(sentence[0])).Append(sentence, 1, sentence.Length - 1);
        }

        return text.ToString();
    }

    private string Opening() => _random.Next(9) switch
    {
        0 => $"I watched {Pick(Movies)} {Pick(Times)} with {Pick(Companions)}.",
        1 => $"I saw {Pick(Movies)} {Pick(Times)}.",
        2 => $"{Pick(Movies)} is {Article(Pick(Genres))} about {Pick(Premises)}.",
        3 => $"I rented {Pick(Movies)} because {Pick(Reasons)}.",
        4 => $"I went to see {Pick(Movies)} {Pick(Times)}.",
        5 => $"My {Pick(Relatives)} told me to watch {Pick(Movies)}.",
        6 => $"I had heard a lot about {Pick(Movies)}.",
        7 => $"The story is about {Pick(Premises)}.",
        _ => $"I watched {Pick(Movies)} because {Pick(Reasons)}.",
    };

    private string Praise()
    {
        string good = Pick(PositiveAdjectives);
        return _random.Next(12) switch
        {
            0 => $"the {Pick(Aspects)} was {Pick(Intensifiers)}{good}.",
            1 => $"{Pick(People)} gives {Article(good)} performance as {Pick(Roles)}.",
            2 => $"I loved the {Pick(Aspects)} and the {Pick(Aspects)}.",
            3 => $"the {Pick(Aspects)} is {good}, and the {Pick(Aspects)} is even better.",
            4 => $"it is one of the {Pick(PositiveSuperlatives)} films I have seen in years.",
            5 => $"every scene with {Pick(People)} is a joy to watch.",
            6 => "the story kept me hooked until the very end.",
            7 => $"I would recommend it to anyone who likes {Pick(GenresPlural)}.",
            8 => $"the ending made me {Pick(PositiveFeelings)}.",
            9 => $"{Pick(People)} did {Article(good)} job.",
            10 => $"what {Article(good)} {Pick(Genres)}.",
            _ => $"the {Pick(Aspects)} was {Pick(Intensifiers)}{good} and the {Pick(Aspects)} was {Pick(PositiveAdjectives)}.",
        };
    }

    private string Criticism()
    {
        string bad = Pick(NegativeAdjectives);
        return _random.Next(12) switch
        {
            0 => $"the {Pick(Aspects)} was {Pick(Intensifiers)}{bad}.",
            1 => $"{Pick(People)} gives {Article(bad)} performance as {Pick(Roles)}.",
            2 => $"I hated the {Pick(Aspects)} and the {Pick(Aspects)}.",
            3 => $"the {Pick(Aspects)} is {bad}, and the {Pick(Aspects)} is even worse.",
            4 => $"it is one of the {Pick(NegativeSuperlatives)} films I have ever seen.",
            5 => $"I almost fell asleep after {Pick(Durations)}.",
            6 => "the ending made no sense at all.",
            7 => "I would not recommend it to anyone.",
            8 => $"I wanted my money back after {Pick(Durations)}.",
            9 => $"{Pick(People)} did {Article(bad)} job.",
            10 => $"what {Article(bad)} {Pick(Genres)}.",
            _ => $"the {Pick(Aspects)} was {Pick(Intensifiers)}{bad} and the {Pick(Aspects)} was {Pick(NegativeAdjectives)}.",
        };
    }

    private string Contrast() => _random.Next(4) switch
    {
        0 => $"the {Pick(Aspects)} was {Pick(PositiveAdjectives)}, but the {Pick(Aspects)} was {Pick(NegativeAdjectives)}.",
        1 => $"the {Pick(Aspects)} was {Pick(NegativeAdjectives)}, but the {Pick(Aspects)} was {Pick(PositiveAdjectives)}.",
        2 => $"{Pick(People)} tries hard, but the {Pick(Aspects)} is {Pick(NegativeAdjectives)}.",
        _ => $"the {Pick(Aspects)} is {Pick(NegativeAdjectives)}, yet I liked the {Pick(Aspects)}.",
    };

    private string Pick(string[] options) => options[_random.Next(options.Length)];

    private int Weighted(params int[] weights)
    {
        int roll = _random.Next(weights.Sum());
        for (int i = 0; i < weights.Length; i++)
        {
            if (roll < weights[i]) return i;
            roll -= weights[i];
        }

        return weights.Length - 1;
    }

    // "a" or "an" by the first letter; the word lists avoid the exceptions (hour, honest, unique).
    private static string Article(string phrase) =>
        ("aeiou".Contains(char.ToLowerInvariant(phrase[0])) ? "an " : "a ") + phrase;
}
