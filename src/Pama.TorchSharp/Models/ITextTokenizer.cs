namespace Pama.TorchSharp.Models;

/// <summary>Turns text into token ids and back, for prompts, responses and reward models.</summary>
public interface ITextTokenizer
{
    /// <summary>Number of token ids (one more than the largest id).</summary>
    int VocabularySize { get; }

    /// <summary>Id of the end-of-text token, used to stop generation and to pad.</summary>
    int EndOfTextId { get; }

    /// <summary>Encodes text into token ids (no special tokens are added).</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes token ids back into text.</summary>
    string Decode(IEnumerable<int> ids);
}
