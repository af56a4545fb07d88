using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.FineTune.Rewards;

/// <summary>
/// <c>--reward-model DIR [--reward-label L]</c>: a Hugging Face sequence classifier (a reward model, or a sentiment
/// classifier such as DistilBERT-SST-2 as in the paper) that replaces the built-in sentiment scorer. It reads the
/// prompt followed by the response, re-tokenized with its own tokenizer.
/// </summary>
public sealed class HuggingFaceRewardModel : IDisposable
{
    private readonly SequenceClassifier _classifier;

    private HuggingFaceRewardModel(SequenceClassifier classifier, ClassifierRewardObjective objective, string description)
    {
        _classifier = classifier;
        Objective = objective;
        Description = description;
    }

    /// <summary>The objective the trainer scores batches with.</summary>
    public ClassifierRewardObjective Objective { get; }

    /// <summary>One line for the log: the classifier, its label and its tokenizer.</summary>
    public string Description { get; }

    /// <summary>The same score as a per-sample text reward, for the held-out evaluation.</summary>
    public Func<string, string, double> Reward => (prompt, response) => Objective.ScoreTexts([prompt + response])[0];

    /// <summary>Loads the classifier and its tokenizer onto <paramref name="device"/>.</summary>
    /// <param name="objectiveName">Name of the objective it stands for (<c>sentiment</c>).</param>
    /// <param name="directory">Checkpoint directory.</param>
    /// <param name="label">The label to reward; <c>null</c> picks the single logit of a reward model, or <c>POSITIVE</c>
    /// where the classifier has such a label.</param>
    /// <param name="device">Device to run it on.</param>
    public static HuggingFaceRewardModel Load(string objectiveName, string directory, string? label, Device device)
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(directory);
        SequenceClassifier classifier = AutoModelForSequenceClassification.FromPretrained(directory, device);
        try
        {
            string? chosen = label ?? (classifier.LabelCount > 1 && classifier.Labels.Any(l => l.Equals("POSITIVE", StringComparison.OrdinalIgnoreCase)) ? "POSITIVE" : null);
            var objective = new ClassifierRewardObjective(objectiveName, classifier, tokenizer, new ClassifierRewardOptions { Label = chosen });
            string description = $"Reward model for '{objectiveName}': {classifier.GetType().Name} from {directory}, " +
                                 $"logit {objective.LabelIndex} ('{classifier.Labels[objective.LabelIndex]}'), {tokenizer.Format} tokenizer, up to {objective.MaxLength} tokens.";
            return new HuggingFaceRewardModel(classifier, objective, description);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _classifier.Dispose();
}
