namespace Pama.FineTune.Rewards;

/// <summary>The objectives the command line can name: <c>sentiment</c>, <c>length</c>, <c>non-repetition</c>.</summary>
public static class BuiltInObjectives
{
    /// <summary>A plain text reward <c>(prompt, response) → double</c> for the objective called <paramref name="name"/>.</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="sentiment">The sentiment reward model (used by <c>sentiment</c>).</param>
    /// <exception cref="ArgumentException">The name is not a built-in objective.</exception>
    public static Func<string, string, double> Reward(string name, SentimentClassifier sentiment)
    {
        ArgumentNullException.ThrowIfNull(sentiment);
        return name switch
        {
            // The whole review, prompt and continuation, as in TRL's GPT-2 IMDb sentiment example.
            "sentiment" => (prompt, response) => sentiment.Logit(prompt + response),
            "length" => (_, response) => LengthReward.Score(response),
            "non-repetition" => (_, response) => NonRepetitionReward.Score(response),
            _ => throw new ArgumentException($"Unknown objective '{name}'. Built-in objectives: sentiment, length, non-repetition.", nameof(name)),
        };
    }
}
