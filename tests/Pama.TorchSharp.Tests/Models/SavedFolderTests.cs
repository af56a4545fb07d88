using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>A saved run folder reloads as a whole (model and tokenizer); a missing folder says it is not a hub id.</summary>
public sealed class SavedFolderTests
{
    private static void WriteTinyTokenizer(string directory)
    {
        File.WriteAllText(Path.Combine(directory, "vocab.json"), """
            {"H": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "He": 8, "ll": 9, "Hell": 10, "Hello": 11,
             "Ġw": 12, "or": 13, "Ġwor": 14, "Ġworl": 15, "Ġworld": 16, "<|endoftext|>": 17}
            """);
        File.WriteAllText(Path.Combine(directory, "merges.txt"), "#version: 0.2\nH e\nl l\nHe ll\nHell o\nĠ w\no r\nĠw or\nĠwor l\nĠworl d\n");
    }

    [Fact]
    public void TrainerSavePretrainedWritesWeightsAndTokenizerFilesThatReloadAsAWhole()
    {
        using var source = new TestDirectory();
        using var saved = new TestDirectory();
        WriteTinyTokenizer(source.Path);
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.FromDirectory(source.Path);
        var config = TinyGpt2.Config(vocabulary: tokenizer.VocabularySize) with { EosTokenId = tokenizer.EndOfTextId, BosTokenId = tokenizer.EndOfTextId };
        using var policy = TinyGpt2.Create(config, seed: 3);
        using var reference = TinyGpt2.Create(config, seed: 3);
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, tokenizer,
            [RewardObjective.FromText("length", (p, r) => r.Length)], new PamaTrainerOptions { Generation = new() { MaxNewTokens = 4 } });

        trainer.SavePretrained(saved.Path);

        Assert.Equal(File.ReadAllBytes(Path.Combine(source.Path, "vocab.json")), File.ReadAllBytes(Path.Combine(saved.Path, "vocab.json")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(source.Path, "merges.txt")), File.ReadAllBytes(Path.Combine(saved.Path, "merges.txt")));
        Assert.Equal([11, 16], Gpt2Tokenizer.FromDirectory(saved.Path).Encode("Hello world"));
        using Gpt2Model reloaded = Gpt2Model.FromPretrained(saved.Path, dtype: ScalarType.Float64);
        Assert.Equal(TinyGpt2.Values(policy.state_dict()["transformer.wte.weight"]), TinyGpt2.Values(reloaded.state_dict()["transformer.wte.weight"]));
    }

    [Fact]
    public void ThePackagedDefaultTokenizerSavesGpt2FilesThatReloadToTheSameIds()
    {
        using var dir = new TestDirectory();
        Gpt2Tokenizer packaged = Gpt2Tokenizer.CreateDefault();
        packaged.SavePretrained(dir.Path);
        Gpt2Tokenizer reloaded = Gpt2Tokenizer.FromDirectory(dir.Path);
        PretrainedTokenizer auto = AutoTokenizer.FromPretrained(dir.Path);
        Assert.Equal(50257, reloaded.VocabularySize);
        Assert.Equal(50256, auto.EndOfTextId);
        // GPT-2's merges.txt has a version line and 50,000 merges: 50,257 ids less 256 bytes and <|endoftext|>.
        Assert.Equal(50_001, File.ReadAllLines(dir.File("merges.txt")).Length);
        string[] texts = ["Hello world", " The movie was wonderful, I loved it!", "naïve café – 東京 🙂", "  spaces\tand\nlines  ", "1234567 tokens"];
        foreach (string text in texts)
        {
            Assert.Equal(packaged.Encode(text), reloaded.Encode(text));
            Assert.Equal(packaged.Encode(text), auto.Encode(text));
        }
        // Hello world is [15496, 995] in GPT-2 (tiktoken's r50k_base and transformers agree).
        Assert.Equal([15496, 995], auto.Encode("Hello world"));
    }

    [Fact]
    public void AMissingFolderSaysFromPretrainedTakesALocalFolderAndHowToDownloadOne()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => Gpt2Model.FromPretrained("gpt2-that-does-not-exist"));
        Assert.Contains("local folder", error.Message);
        Assert.Contains("Hugging Face cache", error.Message);
        Assert.Contains("no hub download", error.Message);
        Assert.Contains("huggingface-cli download", error.Message);
    }
}
