namespace Pama.FineTune.Corpus;

/// <summary>One generated movie review and the polarity it was written with.</summary>
/// <param name="Text">The review, one or more sentences.</param>
/// <param name="Sentiment">The polarity the grammar chose before writing it.</param>
public sealed record Review(string Text, ReviewSentiment Sentiment);
