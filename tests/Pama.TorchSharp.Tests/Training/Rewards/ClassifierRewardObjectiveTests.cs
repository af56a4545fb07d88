using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Models;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training.Rewards;

/// <summary>
/// A reward from a Hugging Face classifier with its own tokenizer: the transformers DistilBERT fixture with a
/// WordPiece vocabulary cut to the classifier's 512 ids. Batched, padded scores must equal each text scored alone
/// and unpadded (the classifier called directly on the tokenizer's ids).
/// </summary>
public sealed class ClassifierRewardObjectiveTests : IDisposable
{
    private static readonly string[] Prompts = ["the movie was", "I did not like", "a story", "hello world, the"];
    private static readonly string[] Responses = [" great and the story was good.", " the ending of this film at all, not one bit.", "", " movie"];

    private readonly TestDirectory _dir = new();

    public ClassifierRewardObjectiveTests()
    {
        string classifier = Path.Combine(AppContext.BaseDirectory, "TestData", "hf", "distilbert-sentiment");
        string tokenizer = Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers", "wordpiece-bert-uncased");
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(classifier, file), _dir.File(file));
        File.Copy(Path.Combine(tokenizer, "tokenizer_config.json"), _dir.File("tokenizer_config.json"));
        File.WriteAllLines(_dir.File("vocab.txt"), File.ReadLines(Path.Combine(tokenizer, "vocab.txt")).Take(512));
    }

    public void Dispose() => _dir.Dispose();

    private static RewardBatch Batch() =>
        new(Prompts, Responses, Prompts.Select(_ => new[] { 1 }).ToArray(), Responses.Select(_ => new[] { 1 }).ToArray(),
            zeros(Prompts.Length, 2, ScalarType.Int64), ones(Prompts.Length, 2, ScalarType.Int64));

    private double Alone(SequenceClassifier model, PretrainedTokenizer tokenizer, string text, int label, int maxLength)
    {
        long[] ids = tokenizer.EncodeWithSpecialTokens(text, maxLength).Select(i => (long)i).ToArray();
        using Tensor input = tensor(ids).view(1, -1);
        using Tensor mask = ones_like(input);
        using Tensor logits = model.call(input, mask);
        return logits[0, label].item<double>();
    }

    [Fact]
    public void BatchedScoresEqualEachTextScoredAloneAtTheNamedLabel()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(_dir.Path, dtype: ScalarType.Float64);
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(_dir.Path);
        var objective = new ClassifierRewardObjective("sentiment", model, tokenizer, new ClassifierRewardOptions { Label = "LABEL_1", BatchSize = 3 });
        Assert.Equal(1, objective.LabelIndex);
        Assert.Equal(64, objective.MaxLength);   // the classifier's positions, below the tokenizer's 512
        IReadOnlyList<double> scores = objective.Score(Batch());
        Assert.Equal(Prompts.Length, scores.Count);
        for (int b = 0; b < Prompts.Length; b++)
            Assert.Equal(Alone(model, tokenizer, Prompts[b] + Responses[b], 1, 64), scores[b], 1e-9);
    }

    [Fact]
    public void ResponseOnlyAndTruncationFollowTheOptions()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(_dir.Path, dtype: ScalarType.Float64);
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(_dir.Path);
        var objective = new ClassifierRewardObjective("sentiment", model, tokenizer,
            new ClassifierRewardOptions { Label = "LABEL_0", IncludePrompt = false, MaxLength = 6 });
        IReadOnlyList<double> scores = objective.Score(Batch());
        for (int b = 0; b < Prompts.Length; b++)
            Assert.Equal(Alone(model, tokenizer, Responses[b], 0, 6), scores[b], 1e-9);
    }

    [Fact]
    public void ATwoLabelClassifierNeedsALabelAndUnknownLabelsAreNamed()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(_dir.Path);
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(_dir.Path);
        var missing = Assert.Throws<ArgumentException>(() => new ClassifierRewardObjective("sentiment", model, tokenizer));
        Assert.Contains("sentiment", missing.Message);
        Assert.Contains("LABEL_1", missing.Message);
        var unknown = Assert.Throws<ArgumentException>(() =>
            new ClassifierRewardObjective("sentiment", model, tokenizer, new ClassifierRewardOptions { Label = "POSITIVE" }));
        Assert.Contains("POSITIVE", unknown.Message);
    }

    [Fact]
    public void FromPretrainedLoadsTheClassifierAndTokenizerOfOneDirectory()
    {
        using ClassifierRewardObjective objective = ClassifierRewardObjective.FromPretrained("sentiment", _dir.Path,
            new ClassifierRewardOptions { Label = "LABEL_1" }, dtype: ScalarType.Float64);
        double[] scores = objective.ScoreTexts(["the movie was great", "I did not like the ending"]);
        Assert.Equal(2, scores.Length);
        Assert.All(scores, s => Assert.True(double.IsFinite(s)));
        Assert.NotEqual(scores[0], scores[1]);
    }
}
