using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models;

public sealed class Gpt2TokenizerDirectoryTests
{
    [Fact]
    public void FromDirectoryAppliesByteLevelMergesFromVocabAndMergesFiles()
    {
        // A tiny byte-level BPE in GPT-2's file format; "Ġ" is GPT-2's printable stand-in for the space byte.
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("vocab.json"), """
            {"H": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "He": 8, "ll": 9, "Hell": 10, "Hello": 11,
             "Ġw": 12, "or": 13, "Ġwor": 14, "Ġworl": 15, "Ġworld": 16, "<|endoftext|>": 17}
            """);
        File.WriteAllText(dir.File("merges.txt"), "#version: 0.2\nH e\nl l\nHe ll\nHell o\nĠ w\no r\nĠw or\nĠwor l\nĠworl d\n");

        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.FromDirectory(dir.Path);
        Assert.Equal(18, tokenizer.VocabularySize);
        Assert.Equal(17, tokenizer.EndOfTextId);
        // "Hello" merges fully (H e → He, l l → ll, He ll → Hell, Hell o → Hello); " world" likewise via Ġw, or, Ġwor, Ġworl, Ġworld.
        Assert.Equal(new[] { 11, 16 }, tokenizer.Encode("Hello world"));
        // "ol" has no merge, so it stays two byte tokens.
        Assert.Equal(new[] { 3, 2 }, tokenizer.Encode("ol"));
        Assert.Equal("Hello world", tokenizer.Decode([11, 16]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([18]));
    }

    [Fact]
    public void MissingFilesAreNamed()
    {
        using var dir = new TestDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => Gpt2Tokenizer.FromDirectory(dir.Path));
        Assert.Contains("vocab.json", error.Message);
    }
}
