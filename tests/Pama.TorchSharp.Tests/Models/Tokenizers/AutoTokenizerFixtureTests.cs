using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models.Tokenizers;

/// <summary>
/// Token ids against those the reference implementations (Hugging Face tokenizers / transformers, sentencepiece)
/// gave for tricky strings (TestData/tokenizers, copied unchanged from the shared fixtures).
/// </summary>
public sealed class AutoTokenizerFixtureTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers", name);

    private static List<(string Text, int[] Ids)> Expected(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture(name), "expected.json")))!.AsArray()
            .Select(e => (e!["text"]!.GetValue<string>(), e["ids"]!.AsArray().Select(i => i!.GetValue<int>()).ToArray()))
            .ToList();

    [Theory]
    [InlineData("llama3-style-bpe", TokenizerFormat.ByteLevelBpe)]
    [InlineData("qwen2-style-bpe", TokenizerFormat.ByteLevelBpe)]
    [InlineData("sentencepiece-llama2-style", TokenizerFormat.SentencePiece)]
    public void EncodeWithoutSpecialTokensMatchesTheReference(string name, TokenizerFormat format)
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture(name));
        Assert.Equal(format, tokenizer.Format);
        foreach ((string text, int[] ids) in Expected(name))
            Assert.True(ids.SequenceEqual(tokenizer.Encode(text)), $"{name} '{text}': expected [{string.Join(", ", ids)}], got [{string.Join(", ", tokenizer.Encode(text))}]");
    }

    [Fact]
    public void WordPieceWithClsAndSepMatchesTheReference()
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture("wordpiece-bert-uncased"));
        Assert.Equal(TokenizerFormat.WordPiece, tokenizer.Format);
        Assert.Equal(512, tokenizer.MaxLength);
        foreach ((string text, int[] ids) in Expected("wordpiece-bert-uncased"))
            Assert.True(ids.SequenceEqual(tokenizer.EncodeWithSpecialTokens(text)),
                $"'{text}': expected [{string.Join(", ", ids)}], got [{string.Join(", ", tokenizer.EncodeWithSpecialTokens(text))}]");
        Assert.Equal(tokenizer.PaddingId, tokenizer.TokenToId("[PAD]"));
    }

    [Theory]
    [InlineData("llama3-style-bpe")]
    [InlineData("qwen2-style-bpe")]
    public void SpecialTokensAndRoundTripMatchTheReference(string name)
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture(name));
        JsonNode extra = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixture(name), "expected_extra.json")))!;
        List<(string Text, int[] Ids)> expected = Expected(name);
        JsonArray withSpecial = extra["with_special_tokens"]!.AsArray();
        for (int i = 0; i < withSpecial.Count; i++)
        {
            int[] ids = withSpecial[i]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            Assert.Equal(ids, tokenizer.EncodeWithSpecialTokens(expected[i].Text));
        }
        JsonArray roundTrip = extra["decode_roundtrip"]!.AsArray();
        for (int i = 0; i < roundTrip.Count; i++)
            Assert.Equal(roundTrip[i]!.GetValue<bool>(), tokenizer.Decode(tokenizer.Encode(expected[i].Text)) == expected[i].Text);
    }

    [Fact]
    public void Llama3StyleSpecialIdsComeFromTheConfig()
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture("llama3-style-bpe"));
        Assert.Equal(tokenizer.TokenToId("<|begin_of_text|>"), tokenizer.BeginOfTextId);
        Assert.Equal(tokenizer.TokenToId("<|end_of_text|>"), tokenizer.EndOfTextId);
        Assert.Null(tokenizer.PaddingId);
        Assert.Null(tokenizer.MaxLength);
        // A special token written in the text is that token, and skipping special tokens drops it.
        Assert.Equal(tokenizer.EndOfTextId, tokenizer.Encode("hello<|end_of_text|>")[^1]);
        Assert.Equal("hello", tokenizer.Decode(tokenizer.Encode("hello<|end_of_text|>"), skipSpecialTokens: true));
    }

    [Fact]
    public void SentencePieceAddsBosAsTheConfigSays()
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture("sentencepiece-llama2-style"));
        Assert.Equal(1, tokenizer.BeginOfTextId);
        Assert.Equal(2, tokenizer.EndOfTextId);
        (string text, int[] ids) = Expected("sentencepiece-llama2-style")[0];
        Assert.Equal([1, .. ids], tokenizer.EncodeWithSpecialTokens(text));
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void VocabJsonAndMergesWithAQwen2ConfigUseQwen2Splitting()
    {
        // Without tokenizer.json the pattern comes from tokenizer_class; the ids must not change.
        using var dir = new TestDirectory();
        foreach (string file in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine(Fixture("qwen2-style-bpe"), file), dir.File(file));
        File.WriteAllText(dir.File("tokenizer_config.json"), """{"tokenizer_class": "Qwen2Tokenizer", "eos_token": "<|endoftext|>"}""");
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(dir.Path);
        foreach ((string text, int[] ids) in Expected("qwen2-style-bpe"))
            Assert.Equal(ids, tokenizer.Encode(text));
        Assert.Equal(0, tokenizer.EndOfTextId);
    }

    [Fact]
    public void TruncationKeepsTheSpecialTokens()
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(Fixture("wordpiece-bert-uncased"));
        IReadOnlyList<int> full = tokenizer.EncodeWithSpecialTokens("the movie was great and the story was good");
        IReadOnlyList<int> cut = tokenizer.EncodeWithSpecialTokens("the movie was great and the story was good", 5);
        Assert.Equal([.. full.Take(4), full[^1]], cut);
    }

    [Fact]
    public void AnEmptyDirectoryNamesTheFilesLookedFor()
    {
        using var dir = new TestDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => AutoTokenizer.FromPretrained(dir.Path));
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("vocab.txt", error.Message);
    }

    [Fact]
    public void AnUnsupportedModelTypeNamesTheFileAndKey()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("tokenizer.json"), """{"model": {"type": "Unigram", "vocab": []}, "pre_tokenizer": {"type": "Metaspace"}}""");
        var error = Assert.Throws<InvalidDataException>(() => AutoTokenizer.FromPretrained(dir.Path));
        Assert.Contains("tokenizer.json", error.Message);
        Assert.Contains("Unigram", error.Message);
    }
}
