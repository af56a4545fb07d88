using Pama.Examples;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Models;
using Pama.TorchSharp.Training;
using Xunit;

namespace Pama.TorchSharp.Tests.Examples;

/// <summary>The README's quick start and LoRA example, as written, on the tiny checkpoints that ship with the repository.</summary>
public sealed class QuickStartOnFixturesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-quick-start-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void TheQuickStartRunsOnANamedFixture(string name)
    {
        List<StepMetrics> steps = TrainerExample.Run(HuggingFaceFixture.Directory(name), [["The movie was", "My favourite food is"]],
            Path.Combine(_directory, "run.ckpt"), maxNewTokens: 6);
        Assert.Equal(1, Assert.Single(steps).Step);
        Assert.All(steps[0].MeanRewards, r => Assert.True(double.IsFinite(r)));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void TheLoraExampleRunsOnGpt2AndLlamaAlike(string name)
    {
        string adapter = Path.Combine(_directory, "adapter");
        var (merged, metrics) = LoraExample.Run(HuggingFaceFixture.Directory(name), adapter, ["The movie was", "My favourite food is"], maxNewTokens: 6);
        using var _ = merged;
        Assert.Equal(1, metrics.Step);
        Assert.True(File.Exists(Path.Combine(adapter, LoraAdapter.ConfigFileName)));
    }

    [Fact]
    public void AMismatchedTokenizerIsReportedAsSuch()
    {
        using CausalLanguageModel policy = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"));
        using CausalLanguageModel reference = policy.Clone();
        var error = Assert.Throws<ArgumentException>(() => new PamaTrainer<CausalLanguageModel>(policy, reference, Gpt2Tokenizer.CreateDefault(),
            [Pama.TorchSharp.Training.Rewards.RewardObjective.FromText("length", (p, r) => r.Length)], new PamaTrainerOptions()));
        Assert.Contains("tokenizer", error.Message);
        Assert.Contains("50257", error.Message);
        Assert.Contains("512", error.Message);
        Assert.Contains("AutoTokenizer.FromPretrained", error.Message);
    }
}
