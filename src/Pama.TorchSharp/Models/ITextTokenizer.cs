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

    /// <summary>
    /// Writes the tokenizer's files into <paramref name="directory"/> (created if needed; each file atomically) in the
    /// Hugging Face formats it was read from (<c>tokenizer.json</c>, <c>tokenizer.model</c>, <c>vocab.txt</c>,
    /// <c>vocab.json</c> + <c>merges.txt</c>, with <c>tokenizer_config.json</c>), so that the folder, next to a model's
    /// <c>SavePretrained</c> output, reloads as a whole and encodes every text to the same ids.
    /// </summary>
    /// <param name="directory">Destination directory.</param>
    /// <exception cref="NotSupportedException">The tokenizer has no file form (the default implementation); the message
    /// names the tokenizer.</exception>
    void SavePretrained(string directory) =>
        throw new NotSupportedException($"{GetType().Name} cannot be saved as Hugging Face tokenizer files; implement ITextTokenizer.SavePretrained.");
}
