using Pama.FineTune.Text;
using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class CompactVocabularyTokenizerTests
{
    private static readonly string[] Texts = ["I watched this movie last night.", "The acting was great, but the plot was dull!", "Ten out of ten."];

    [Fact]
    public void RoundTripsTheTextsItWasBuiltFrom()
    {
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        var compact = CompactVocabularyTokenizer.Build(gpt2, Texts);
        foreach (string text in Texts)
        {
            IReadOnlyList<int> ids = compact.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, 0, compact.VocabularySize - 1));
            Assert.Equal(text, compact.Decode(ids));
            // Mapped back, the compact ids are exactly GPT-2's ids.
            Assert.Equal(gpt2.Encode(text), ids.Select(id => compact.BaseIds[id]));
        }
    }

    [Fact]
    public void KeepsExactlyTheUsedTokensPlusEndOfText()
    {
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        var compact = CompactVocabularyTokenizer.Build(gpt2, Texts);
        int[] expected = Texts.SelectMany(gpt2.Encode).Append(gpt2.EndOfTextId).Distinct().Order().ToArray();
        Assert.Equal(expected, compact.BaseIds);
        Assert.Equal(expected.Length, compact.VocabularySize);
        Assert.Equal(gpt2.EndOfTextId, compact.BaseIds[compact.EndOfTextId]);
    }

    [Fact]
    public void RefusesTextOutsideItsVocabulary()
    {
        var compact = CompactVocabularyTokenizer.Build(Gpt2Tokenizer.CreateDefault(), Texts);
        var error = Assert.Throws<ArgumentException>(() => compact.Encode("Xylophone"));
        Assert.Contains("Xylophone", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => compact.Decode([compact.VocabularySize]));
    }

    [Fact]
    public void SavesAndLoadsTheSameMapping()
    {
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        var compact = CompactVocabularyTokenizer.Build(gpt2, Texts);
        string path = Path.Combine(Path.GetTempPath(), $"compact-{Guid.NewGuid():N}.json");
        try
        {
            compact.Save(path);
            var loaded = CompactVocabularyTokenizer.Load(gpt2, path);
            Assert.Equal(compact.BaseIds, loaded.BaseIds);
            Assert.Equal(compact.EndOfTextId, loaded.EndOfTextId);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
