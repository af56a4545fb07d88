using System.CommandLine;
using Pama.FineTune.Cli;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary><c>--model</c> with any Hugging Face causal LM folder, <c>--reward-model</c> and <c>--reward-label</c>.</summary>
public sealed class RewardModelOptionTests
{
    private static string Hf(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "hf", name);

    private static (FineTuneOptions? Options, IReadOnlyList<string> Errors) Parse(params string[] args)
    {
        FineTuneOptions? bound = null;
        RootCommand root = new FineTuneCommand().Create((options, _) => { bound = options; return Task.FromResult(0); });
        ParseResult result = root.Parse(args);
        if (result.Errors.Count == 0) result.Invoke();
        return (bound, result.Errors.Select(e => e.Message).ToArray());
    }

    private static string CheckpointWithTokenizer(Pama.TorchSharp.Tests.Models.TestDirectory dir, string fixture)
    {
        foreach (string file in Directory.GetFiles(Hf(fixture))) File.Copy(file, dir.File(Path.GetFileName(file)));
        File.WriteAllText(dir.File("vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n");
        return dir.Path;
    }

    [Fact]
    public void RewardModelAndLabelAreBound()
    {
        using var dir = new Pama.TorchSharp.Tests.Models.TestDirectory();
        string path = CheckpointWithTokenizer(dir, "distilbert-sentiment");
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--reward-model", path, "--reward-label", "LABEL_1");
        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(path, options.RewardModelDirectory);
        Assert.Equal("LABEL_1", options.RewardLabel);
    }

    [Fact]
    public void NoRewardModelByDefault()
    {
        (FineTuneOptions? options, _) = Parse();
        Assert.NotNull(options);
        Assert.Null(options.RewardModelDirectory);
        Assert.Null(options.RewardLabel);
    }

    [Fact]
    public void ShardedCausalLmFoldersAreAcceptedByModel()
    {
        // The i9 fixtures hold config.json and weights; a tokenizer file makes them complete checkpoints.
        using var dir = new Pama.TorchSharp.Tests.Models.TestDirectory();
        foreach (string file in Directory.GetFiles(Hf("gpt2-bf16-sharded"))) File.Copy(file, dir.File(Path.GetFileName(file)));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "tokenizers", "qwen2-style-bpe", "tokenizer.json"), dir.File("tokenizer.json"), overwrite: true);
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--model", dir.Path);
        Assert.Empty(errors);
        Assert.Equal(dir.Path, options!.ModelDirectory);
    }

    [Fact]
    public void AFolderWithoutTokenizerFilesIsRejectedWithTheMissingFiles()
    {
        using var dir = new Pama.TorchSharp.Tests.Models.TestDirectory();
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(Hf("gpt2-reward-model"), file), dir.File(file));
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--reward-model", dir.Path);
        Assert.Null(options);
        Assert.Contains(errors, e => e.Contains("--reward-model") && e.Contains("tokenizer"));
    }

    [Fact]
    public void ALabelWithoutARewardModelIsRejected()
    {
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--reward-label", "POSITIVE");
        Assert.Null(options);
        Assert.Contains(errors, e => e.Contains("--reward-model"));
    }

    [Fact]
    public void ARewardModelNeedsTheSentimentObjective()
    {
        using var dir = new Pama.TorchSharp.Tests.Models.TestDirectory();
        string path = CheckpointWithTokenizer(dir, "distilbert-sentiment");
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--reward-model", path, "--objectives", "length,non-repetition");
        Assert.Null(options);
        Assert.Contains(errors, e => e.Contains("sentiment"));
    }
}
