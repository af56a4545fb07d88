using Pama.Examples;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Examples;

/// <summary>Runs the README's LoRA example on a small random GPT-2.</summary>
public sealed class LoraExampleTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-lora-example-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void LoraExampleTrainsSavesAndMergesIntoAPlainBf16Model()
    {
        string model = TinyCheckpoint.Create(Path.Combine(_directory, "model"));
        string adapter = Path.Combine(_directory, "adapter");

        var (merged, metrics) = LoraExample.Run(model, adapter, ["The movie was", "My favourite food is"], maxNewTokens: 6);
        using var _ = merged;

        Assert.Equal(1, metrics.Step);
        Assert.True(File.Exists(Path.Combine(adapter, LoraAdapter.WeightsFileName)));
        Assert.True(File.Exists(Path.Combine(adapter, LoraAdapter.ConfigFileName)));
        Assert.DoesNotContain(merged.named_parameters(), p => p.name.Contains("lora_"));
        Assert.All(merged.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
    }
}
