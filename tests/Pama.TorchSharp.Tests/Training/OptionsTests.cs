using Pama.TorchSharp.Training;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The options record's paper defaults and its validation.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void DefaultsFollowThePaper()
    {
        var options = new PamaTrainerOptions();
        Assert.Equal(TrainingMethod.Pama, options.Method);
        Assert.Equal(WeightingGranularity.Batch, options.Granularity);
        Assert.Equal(AdvantageEstimator.Gae, options.AdvantageEstimator);
        Assert.Equal(0.2, options.ClipEpsilon);
        Assert.Equal(0.2, options.KlCoefficient);
        Assert.Equal(1.0, options.Gamma);
        Assert.Equal(0.95, options.Lambda);
        Assert.Equal(1e-5, options.LearningRate);
        Assert.Equal(1.0, options.MaxGradNorm);
        Assert.Equal(1e-3, options.ValueLearningRate);
        Assert.Equal(ValueHeadInitialization.FirstBatchMeanReturn, options.ValueHeadInitialization);
        Assert.Equal(8, options.StallWarningUpdates);
        options.Validate(2);
    }

    public static TheoryData<PamaTrainerOptions, string> Invalid => new()
    {
        { new PamaTrainerOptions { ClipEpsilon = 0 }, nameof(PamaTrainerOptions.ClipEpsilon) },
        { new PamaTrainerOptions { StallWarningUpdates = 0 }, nameof(PamaTrainerOptions.StallWarningUpdates) },
        { new PamaTrainerOptions { ValueHeadInitialization = (ValueHeadInitialization)7 }, nameof(PamaTrainerOptions.ValueHeadInitialization) },
        { new PamaTrainerOptions { ClipEpsilon = double.NaN }, nameof(PamaTrainerOptions.ClipEpsilon) },
        { new PamaTrainerOptions { KlCoefficient = -0.1 }, nameof(PamaTrainerOptions.KlCoefficient) },
        { new PamaTrainerOptions { AdaptiveKl = new AdaptiveKlOptions(TargetKl: 0) }, nameof(PamaTrainerOptions.AdaptiveKl) },
        { new PamaTrainerOptions { Gamma = 1.5 }, nameof(PamaTrainerOptions.Gamma) },
        { new PamaTrainerOptions { Lambda = -0.5 }, nameof(PamaTrainerOptions.Lambda) },
        { new PamaTrainerOptions { LearningRate = 0 }, nameof(PamaTrainerOptions.LearningRate) },
        { new PamaTrainerOptions { ValueLearningRate = double.PositiveInfinity }, nameof(PamaTrainerOptions.ValueLearningRate) },
        { new PamaTrainerOptions { WeightDecay = -1 }, nameof(PamaTrainerOptions.WeightDecay) },
        { new PamaTrainerOptions { MaxGradNorm = 0 }, nameof(PamaTrainerOptions.MaxGradNorm) },
        { new PamaTrainerOptions { PpoEpochs = 0 }, nameof(PamaTrainerOptions.PpoEpochs) },
        { new PamaTrainerOptions { MiniBatches = 0 }, nameof(PamaTrainerOptions.MiniBatches) },
        { new PamaTrainerOptions { ValueLossCoefficient = -1 }, nameof(PamaTrainerOptions.ValueLossCoefficient) },
        { new PamaTrainerOptions { ValueClipRange = 0 }, nameof(PamaTrainerOptions.ValueClipRange) },
        { new PamaTrainerOptions { SamplesPerPrompt = 0 }, nameof(PamaTrainerOptions.SamplesPerPrompt) },
        { new PamaTrainerOptions { AdvantageEstimator = AdvantageEstimator.GroupRelative }, nameof(PamaTrainerOptions.SamplesPerPrompt) },
        { new PamaTrainerOptions { PreferenceWeights = [1.0] }, nameof(PamaTrainerOptions.PreferenceWeights) },
        { new PamaTrainerOptions { PreferenceWeights = [0.7, 0.7] }, nameof(PamaTrainerOptions.PreferenceWeights) },
        { new PamaTrainerOptions { PreferenceWeights = [1.5, -0.5] }, nameof(PamaTrainerOptions.PreferenceWeights) },
        { new PamaTrainerOptions { Method = (TrainingMethod)42 }, nameof(PamaTrainerOptions.Method) },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingIsRejectedNamingTheProperty(PamaTrainerOptions options, string property)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate(2));
        Assert.Equal(property, error.ParamName);
        Assert.Contains(property, error.Message);
    }
}
