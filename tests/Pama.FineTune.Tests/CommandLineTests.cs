using System.CommandLine;
using Pama.FineTune.Cli;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class CommandLineTests
{
    private static (FineTuneOptions? Options, IReadOnlyList<string> Errors) Parse(params string[] args)
    {
        FineTuneOptions? bound = null;
        RootCommand root = new FineTuneCommand().Create((options, _) => { bound = options; return Task.FromResult(0); });
        ParseResult result = root.Parse(args);
        if (result.Errors.Count == 0) result.Invoke();
        return (bound, result.Errors.Select(e => e.Message).ToArray());
    }

    [Fact]
    public void NoArgumentsGiveTheEmbeddedDefaultRun()
    {
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse();
        Assert.Empty(errors);
        Assert.NotNull(options);
        Assert.Equal(["pama", "morlhf", "mgda-ub"], options.Methods);
        Assert.Equal(["sentiment", "length"], options.Objectives);
        Assert.Equal([1, 2, 3], options.Seeds);
        Assert.Equal("batch", options.Granularity);
        Assert.Null(options.ModelDirectory);
        Assert.False(options.Resume);
    }

    [Fact]
    public void MicroBatchIsOffByDefaultAndMustBePositive()
    {
        Assert.Null(Parse().Options!.MicroBatch);
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--micro-batch", "4");
        Assert.Empty(errors);
        Assert.Equal(4, options!.MicroBatch);
        Assert.Contains(Parse("--micro-batch", "0").Errors, e => e.Contains("--micro-batch", StringComparison.Ordinal));
    }

    [Fact]
    public void LoraOptionsBuildAnAdapterSettingOnlyWhenAskedFor()
    {
        (FineTuneOptions? plain, _) = Parse();
        (FineTuneOptions? lora, IReadOnlyList<string> errors) = Parse("--lora", "--lora-rank", "4", "--lora-alpha", "12");
        Assert.Empty(errors);
        Assert.Null(plain!.Lora);
        Assert.NotNull(lora!.Lora);
        Assert.Equal(4, lora.Lora.Rank);
        Assert.Equal(12, lora.Lora.Alpha);
        Assert.Equal(["c_attn", "c_proj", "c_fc"], lora.Lora.TargetModules);
        Assert.NotEmpty(Parse("--lora", "--lora-rank", "0").Errors);
    }

    [Fact]
    public void MethodsRepeatAndObjectivesAcceptCommas()
    {
        (FineTuneOptions? options, _) = Parse("--method", "pama", "--method", "mgda-ub", "--objectives", "sentiment,length,non-repetition", "--seeds", "2");
        Assert.NotNull(options);
        Assert.Equal(["pama", "mgda-ub"], options.Methods);
        Assert.Equal(["sentiment", "length", "non-repetition"], options.Objectives);
        Assert.Equal([1, 2], options.Seeds);
    }

    [Theory]
    [InlineData("tchebycheff")]
    [InlineData("smooth-tchebycheff")]
    [InlineData("dwa")]
    [InlineData("famo")]
    [InlineData("gdpo")]
    [InlineData("mgda")]
    [InlineData("upgrad")]
    [InlineData("dualproj")]
    [InlineData("pcgrad")]
    [InlineData("cagrad")]
    [InlineData("imtl-g")]
    [InlineData("aligned-mtl")]
    [InlineData("nash-mtl")]
    [InlineData("mean")]
    [InlineData("random")]
    public void EveryWeightingIsSelectableByMethod(string key)
    {
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse("--method", key);
        Assert.Empty(errors);
        Assert.Equal([key], options!.Methods);
        Assert.Equal(Pama.TorchSharp.Training.Methods.MethodCatalog.Create(key).Name, Pama.FineTune.Experiment.MethodNames.Title(key));
    }

    [Theory]
    [InlineData("--objectives", "sentiment")]
    [InlineData("--objectives", "sentiment,humor")]
    [InlineData("--objectives", "length,length")]
    [InlineData("--method", "ppo")]
    [InlineData("--steps", "0")]
    [InlineData("--seeds", "-1")]
    [InlineData("--batch-size", "0")]
    [InlineData("--threads", "0")]
    [InlineData("--granularity", "word")]
    [InlineData("--device", "tpu")]
    [InlineData("--model", "/no/such/checkpoint")]
    [InlineData("--whiten", "batch")]
    [InlineData("--critic", "shared")]
    [InlineData("--preset", "trl")]
    [InlineData("--prompts", "/no/such/prompts.txt")]
    public void InvalidOptionsAreRejectedWithAMessage(string option, string value)
    {
        (FineTuneOptions? options, IReadOnlyList<string> errors) = Parse(option, value);
        Assert.Null(options);
        Assert.NotEmpty(errors);
    }

    [Fact]
    public void DefaultsKeepTodaysTrainerBehaviour()
    {
        (FineTuneOptions? options, _) = Parse();
        Assert.NotNull(options);
        Assert.Equal("none", options.Whitening);
        Assert.Equal("heads", options.Critic);
        Assert.Equal("default", options.Preset);
        Assert.Null(options.PromptsFile);
        Assert.False(options.OneEpoch);
    }

    [Fact]
    public void PaperPresetSetsThePapersDefaultsAndExplicitOptionsWin()
    {
        (FineTuneOptions? paper, _) = Parse("--preset", "paper");
        Assert.NotNull(paper);
        Assert.Equal("paper", paper.Preset);
        Assert.Equal(FineTuneOptions.PaperBatchSize, paper.BatchSize);
        Assert.Equal(Enumerable.Range(1, 8), paper.Seeds);
        Assert.Equal("per-objective", paper.Whitening);
        Assert.Equal("trunk", paper.Critic);
        Assert.True(paper.OneEpoch);

        (FineTuneOptions? overridden, _) = Parse("--preset", "paper", "--seeds", "2", "--batch-size", "16", "--steps", "5", "--whiten", "none", "--critic", "heads");
        Assert.NotNull(overridden);
        Assert.Equal([1, 2], overridden.Seeds);
        Assert.Equal(16, overridden.BatchSize);
        Assert.Equal(5, overridden.Steps);
        Assert.False(overridden.OneEpoch);
        Assert.Equal("none", overridden.Whitening);
        Assert.Equal("heads", overridden.Critic);
    }
}
