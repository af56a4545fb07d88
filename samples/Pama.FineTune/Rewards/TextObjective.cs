using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Rewards;

namespace Pama.FineTune.Rewards;

/// <summary>
/// Adapts a text reward <c>(prompt, response) → double</c> to the library's <see cref="IRewardObjective"/>.
/// The response text is decoded from the sampled token ids with any trailing end-of-text token
/// removed, so the marker never counts as characters or words of the response.
/// </summary>
public sealed class TextObjective(string name, ITextTokenizer tokenizer, Func<string, string, double> reward) : IRewardObjective
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public IReadOnlyList<double> Score(RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scores = new double[batch.Count];
        for (int b = 0; b < scores.Length; b++) scores[b] = reward(batch.Prompts[b], ResponseText(tokenizer, batch.ResponseTokenIds[b]));
        return scores;
    }

    /// <summary>The response text without its end-of-text token (and anything after it).</summary>
    public static string ResponseText(ITextTokenizer tokenizer, IReadOnlyList<int> responseIds)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(responseIds);
        int end = 0;
        while (end < responseIds.Count && responseIds[end] != tokenizer.EndOfTextId) end++;
        return tokenizer.Decode(responseIds.Take(end));
    }
}
