using Pama.TorchSharp.Models;

namespace Pama.TorchSharp.Training.Rewards;

/// <summary>The text of a response as reward objectives see it: the words only, without the end-of-text token.</summary>
public static class ResponseText
{
    /// <summary>
    /// Decodes <paramref name="responseIds"/> up to (not including) the first end-of-text token. A sampled end-of-text
    /// token would otherwise decode to its marker (13 characters for GPT-2) and, for instance, inflate a length reward.
    /// </summary>
    /// <param name="tokenizer">Tokenizer of the policy.</param>
    /// <param name="responseIds">Response token ids, without padding.</param>
    /// <param name="endOfTextId">Id that ends a response; <c>null</c> for <see cref="ITextTokenizer.EndOfTextId"/>.</param>
    public static string Decode(ITextTokenizer tokenizer, IReadOnlyList<int> responseIds, int? endOfTextId = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(responseIds);
        int end = endOfTextId ?? tokenizer.EndOfTextId;
        int length = 0;
        while (length < responseIds.Count && responseIds[length] != end) length++;
        return tokenizer.Decode(length == responseIds.Count ? responseIds : responseIds.Take(length).ToArray());
    }
}
