using Pama.TorchSharp.Models;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A character-level tokenizer over a small alphabet, matching the tiny test models' vocabulary.</summary>
internal sealed class CharacterTokenizer : ITextTokenizer
{
    public const string Alphabet = "abcdefghijklmnopqrstuvwxyz .,!?";

    public int VocabularySize => Alphabet.Length + 1;

    public int EndOfTextId => Alphabet.Length;

    public IReadOnlyList<int> Encode(string text) => [.. text.Select(ch =>
    {
        int id = Alphabet.IndexOf(ch);
        return id >= 0 ? id : throw new ArgumentException($"Character '{ch}' is not in the test alphabet.", nameof(text));
    })];

    public string Decode(IEnumerable<int> ids) => string.Concat(ids.Where(id => id != EndOfTextId).Select(id => Alphabet[id]));
}
