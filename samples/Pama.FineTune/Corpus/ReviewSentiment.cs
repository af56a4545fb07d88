namespace Pama.FineTune.Corpus;

/// <summary>The overall polarity a generated review was written with.</summary>
public enum ReviewSentiment
{
    /// <summary>Praise throughout.</summary>
    Positive,

    /// <summary>Criticism throughout.</summary>
    Negative,

    /// <summary>Praise and criticism in the same review.</summary>
    Mixed,
}
