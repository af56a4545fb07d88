namespace Pama.TorchSharp.Training.Rewards;

/// <summary>How a <see cref="ClassifierRewardObjective"/> reads the classifier.</summary>
public sealed record ClassifierRewardOptions
{
    /// <summary>
    /// The label whose logit is the reward, by its <c>id2label</c> name (e.g. <c>POSITIVE</c>); <c>null</c> for a
    /// classifier with a single logit (a reward model).
    /// </summary>
    public string? Label { get; init; }

    /// <summary>
    /// Score the prompt followed by the response (the default, as TRL's sentiment example and reward models read a
    /// whole conversation) rather than the response alone.
    /// </summary>
    public bool IncludePrompt { get; init; } = true;

    /// <summary>Texts per classifier call (bounds memory on the classifier's device).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// Longest token sequence handed to the classifier, special tokens included; longer texts are cut at the end.
    /// <c>null</c> means the smaller of the tokenizer's <c>model_max_length</c> and the classifier's positions.
    /// </summary>
    public int? MaxLength { get; init; }
}
