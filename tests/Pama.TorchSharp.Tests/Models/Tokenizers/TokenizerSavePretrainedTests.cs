using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Models.Tokenizers;

/// <summary>Every tokenizer <see cref="AutoTokenizer"/> reads saves its own files and reloads to the reference ids.</summary>
public sealed class TokenizerSavePretrainedTests
{
    public static IEnumerable<object[]> Fixtures =>
        [["llama3-style-bpe"], ["qwen2-style-bpe"], ["sentencepiece-llama2-style"], ["wordpiece-bert-uncased"]];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void SavedTokenizerReloadsWithTheReferenceIds(string name)
    {
        PretrainedTokenizer original = AutoTokenizer.FromPretrained(AutoTokenizerFixtureTests.Fixture(name));
        using var saved = new TestDirectory();
        original.SavePretrained(saved.Path);
        PretrainedTokenizer reloaded = AutoTokenizer.FromPretrained(saved.Path);

        Assert.Equal(original.Format, reloaded.Format);
        Assert.Equal(original.VocabularySize, reloaded.VocabularySize);
        Assert.Equal(original.EndOfTextId, reloaded.EndOfTextId);
        Assert.Equal(original.BeginOfTextId, reloaded.BeginOfTextId);
        Assert.Equal(original.PaddingId, reloaded.PaddingId);
        Assert.Equal(original.PaddingSide, reloaded.PaddingSide);
        Assert.Equal(original.MaxLength, reloaded.MaxLength);
        // The oracle ids of the reference implementation: WordPiece's include [CLS] ... [SEP], the others' none.
        bool withSpecial = original.Format == TokenizerFormat.WordPiece;
        foreach ((string text, int[] ids) in Expected(name))
        {
            IReadOnlyList<int> got = withSpecial ? reloaded.EncodeWithSpecialTokens(text) : reloaded.Encode(text);
            Assert.True(ids.SequenceEqual(got), $"{name} '{text}': expected [{string.Join(", ", ids)}], got [{string.Join(", ", got)}]");
            Assert.Equal(original.Decode(ids), reloaded.Decode(ids));
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void TrainerSavePretrainedWritesTheTokenizerWhateverItsKind(string name)
    {
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(AutoTokenizerFixtureTests.Fixture(name));
        var config = TinyGpt2.Config(vocabulary: tokenizer.VocabularySize) with { EosTokenId = tokenizer.EndOfTextId, BosTokenId = tokenizer.EndOfTextId };
        using var policy = TinyGpt2.Create(config, seed: 5);
        using var reference = TinyGpt2.Create(config, seed: 5);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, tokenizer,
            [RewardObjective.FromText("length", (p, r) => r.Length)], new PamaTrainerOptions { Generation = new() { MaxNewTokens = 4 } });
        using var saved = new TestDirectory();

        trainer.SavePretrained(saved.Path);

        PretrainedTokenizer reloaded = AutoTokenizer.FromPretrained(saved.Path);
        foreach ((string text, _) in Expected(name))
            Assert.Equal(tokenizer.EncodeWithSpecialTokens(text), reloaded.EncodeWithSpecialTokens(text));
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(saved.Path);
        Assert.Equal(tokenizer.VocabularySize, model.VocabularySize);
    }

    [Fact]
    public void ATokenizerWithoutFilesFailsBeforeTheWeightsAreWritten()
    {
        var tokenizer = new Training.CharacterTokenizer();
        using var policy = TinyGpt2.Create(TinyGpt2.Config(vocabulary: tokenizer.VocabularySize), seed: 6);
        using var reference = TinyGpt2.Create(TinyGpt2.Config(vocabulary: tokenizer.VocabularySize), seed: 6);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, tokenizer,
            [RewardObjective.FromText("length", (p, r) => r.Length)], new PamaTrainerOptions { Generation = new() { MaxNewTokens = 4 } });
        using var saved = new TestDirectory();

        var error = Assert.Throws<NotSupportedException>(() => trainer.SavePretrained(saved.Path));
        Assert.Contains(nameof(Training.CharacterTokenizer), error.Message);
        Assert.Empty(Directory.EnumerateFiles(saved.Path));
    }

    private static List<(string Text, int[] Ids)> Expected(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AutoTokenizerFixtureTests.Fixture(name), "expected.json")))!.AsArray()
            .Select(e => (e!["text"]!.GetValue<string>(), e["ids"]!.AsArray().Select(i => i!.GetValue<int>()).ToArray()))
            .ToList();
}
