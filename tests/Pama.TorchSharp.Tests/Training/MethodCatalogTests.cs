using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Every catalogued method trains through the trainer with the same options, and gets a fresh instance each time.</summary>
public sealed class MethodCatalogTests
{
    public static TheoryData<string> Keys => [.. MethodCatalog.Keys];

    [Theory]
    [MemberData(nameof(Keys))]
    public void EveryMethodTakesTwoStepsWithFiniteWeights(string key)
    {
        var options = TinyModels.Options(MethodCatalog.Create(key)) with { MiniBatches = 2 };
        var (trainer, _) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var __ = trainer;

        StepMetrics first = trainer.Step(TinyModels.Prompts), second = trainer.Step(TinyModels.Prompts);

        Assert.All(first.Weights.Concat(second.Weights), w => Assert.True(double.IsFinite(w)));
        Assert.Equal(2, second.Step);
        Assert.NotSame(MethodCatalog.Create(key), MethodCatalog.Create(key));
    }

    [Fact]
    public void AnUnknownKeyIsRefusedListingTheKnownOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => MethodCatalog.Create("nope"));
        Assert.Contains("pama", error.Message);
    }
}
