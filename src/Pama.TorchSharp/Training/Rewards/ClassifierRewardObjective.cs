using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Models;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// An objective scored by a Hugging Face sequence classifier with its own tokenizer (a reward model, or a
/// sentiment classifier as in the paper): the decoded text of each sample is re-tokenized with the classifier's
/// tokenizer (its special tokens, its padding side, cut at its maximum length), run in batches without gradients on
/// the classifier's device, and the reward is one logit: the single logit of a reward model, or the logit of a named
/// label such as <c>POSITIVE</c>.
/// </summary>
public sealed class ClassifierRewardObjective : IRewardObjective, IDisposable
{
    private readonly SequenceClassifier _classifier;
    private readonly PretrainedTokenizer _tokenizer;
    private readonly bool _ownsClassifier;
    private readonly bool _includePrompt;
    private readonly int _batchSize;
    private readonly int _padId;

    /// <summary>Creates the objective from a loaded classifier and its tokenizer (the caller keeps owning the classifier,
    /// which is put in evaluation mode: no dropout while scoring).</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="classifier">The classifier; put it on the device it should run on.</param>
    /// <param name="tokenizer">The classifier's own tokenizer.</param>
    /// <param name="options">Label, text and batching; <c>null</c> for the defaults.</param>
    /// <exception cref="ArgumentException">The label is unknown, no label is named for a classifier with several, or the
    /// tokenizer's vocabulary is larger than the classifier's embedding.</exception>
    public ClassifierRewardObjective(string name, SequenceClassifier classifier, PretrainedTokenizer tokenizer, ClassifierRewardOptions? options = null)
        : this(name, classifier, tokenizer, options ?? new ClassifierRewardOptions(), ownsClassifier: false)
    {
    }

    private ClassifierRewardObjective(string name, SequenceClassifier classifier, PretrainedTokenizer tokenizer, ClassifierRewardOptions options, bool ownsClassifier)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Objective '{name}': BatchSize must be positive, got {options.BatchSize}.");
        Name = name;
        _classifier = classifier;
        _classifier.eval();
        _tokenizer = tokenizer;
        _ownsClassifier = ownsClassifier;
        _includePrompt = options.IncludePrompt;
        _batchSize = options.BatchSize;
        if (options.Label is { } label)
        {
            try
            {
                LabelIndex = classifier.LabelIndex(label);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Objective '{name}': {e.Message}", nameof(options), e);
            }
        }
        else
        {
            LabelIndex = classifier.LabelCount == 1 ? 0
                : throw new ArgumentException($"Objective '{name}': the classifier has {classifier.LabelCount} labels ({string.Join(", ", classifier.Labels)}); name the one to reward.", nameof(options));
        }
        MaxLength = options.MaxLength ?? Math.Min(tokenizer.MaxLength ?? int.MaxValue, classifier.MaxPositions);
        if (MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(options), $"Objective '{name}': MaxLength must be positive, got {MaxLength}.");
        // Decoder classifiers find the last token by the pad id of their config, so padding must use that id.
        _padId = classifier.PadTokenId ?? tokenizer.PaddingId ?? tokenizer.EndOfTextId;
    }

    /// <summary>
    /// Loads a classifier checkpoint directory with its tokenizer (<see cref="AutoModelForSequenceClassification"/>,
    /// <see cref="AutoTokenizer"/>); the objective owns the classifier and disposes it.
    /// </summary>
    /// <param name="name">Objective name.</param>
    /// <param name="directory">Checkpoint directory with the weights, <c>config.json</c> and the tokenizer files.</param>
    /// <param name="options">Label, text and batching; <c>null</c> for the defaults.</param>
    /// <param name="device">Device to run the classifier on; <c>null</c> means CPU.</param>
    /// <param name="dtype">Parameter type; <c>null</c> means float32.</param>
    public static ClassifierRewardObjective FromPretrained(string name, string directory, ClassifierRewardOptions? options = null,
        Device? device = null, ScalarType? dtype = null)
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(directory);
        SequenceClassifier classifier = AutoModelForSequenceClassification.FromPretrained(directory, device, dtype);
        try
        {
            return new ClassifierRewardObjective(name, classifier, tokenizer, options ?? new ClassifierRewardOptions(), ownsClassifier: true);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Index of the logit that is the reward.</summary>
    public int LabelIndex { get; }

    /// <summary>Longest token sequence handed to the classifier.</summary>
    public int MaxLength { get; }

    /// <inheritdoc />
    public IReadOnlyList<double> Score(RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var texts = new string[batch.Count];
        for (int b = 0; b < texts.Length; b++) texts[b] = _includePrompt ? batch.Prompts[b] + batch.Responses[b] : batch.Responses[b];
        return ScoreTexts(texts);
    }

    /// <summary>Scores whole texts (for evaluation outside training).</summary>
    /// <param name="texts">Texts to score.</param>
    /// <returns>One logit per text.</returns>
    public double[] ScoreTexts(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var scores = new double[texts.Count];
        // A decoder classifier without a pad id can only find the last token of one row at a time.
        int batchSize = _classifier.PadTokenId is null && _classifier is not DistilBertForSequenceClassification ? 1 : _batchSize;
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            int count = Math.Min(batchSize, texts.Count - start);
            IReadOnlyList<int>[] rows = new IReadOnlyList<int>[count];
            for (int i = 0; i < count; i++) rows[i] = _tokenizer.EncodeWithSpecialTokens(texts[start + i], MaxLength);
            double[] logits = Run(rows);
            Array.Copy(logits, 0, scores, start, count);
        }
        return scores;
    }

    /// <summary>Disposes the classifier when <see cref="FromPretrained"/> loaded it.</summary>
    public void Dispose()
    {
        if (_ownsClassifier) _classifier.Dispose();
    }

    private double[] Run(IReadOnlyList<int>[] rows)
    {
        int width = rows.Max(r => r.Count);
        var ids = new long[rows.Length * width];
        var mask = new long[rows.Length * width];
        Array.Fill(ids, _padId);
        for (int r = 0; r < rows.Length; r++)
        {
            int offset = r * width + (_tokenizer.PaddingSide == PaddingSide.Left ? width - rows[r].Count : 0);
            for (int t = 0; t < rows[r].Count; t++)
            {
                ids[offset + t] = rows[r][t];
                mask[offset + t] = 1;
            }
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor idTensor = tensor(ids, [rows.Length, width]);
        Tensor maskTensor = tensor(mask, [rows.Length, width]);
        Tensor logits = _classifier.call(idTensor, maskTensor);
        return HostReads.Doubles(logits[.., LabelIndex]);
    }
}
