using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Methods;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The options record's paper defaults and its validation.</summary>
public sealed class OptionsTests
{
    [Fact]
    public void DefaultsFollowThePaper()
    {
        var options = new PamaTrainerOptions();
        var method = Assert.IsType<PamaMethod>(options.Method);
        Assert.Equal(WeightingGranularity.Batch, method.Granularity);
        Assert.Equal(1.0, options.LearningRateSchedule.Factor(1000));
        var gae = Assert.IsType<GeneralizedAdvantageEstimation>(options.AdvantageEstimator);
        Assert.Equal(0.2, options.ClipEpsilon);
        Assert.Equal(0.2, options.KlCoefficient);
        Assert.Equal(1.0, gae.Gamma);
        Assert.Equal(0.95, gae.Lambda);
        Assert.True(((IAdvantageEstimator)gae).UsesValueHeads);
        Assert.Equal(1.0, gae.Discount);
        Assert.Equal(1, ((IAdvantageEstimator)gae).GroupSize);
        Assert.Equal(1e-5, options.LearningRate);
        Assert.Equal(1.0, options.MaxGradNorm);
        Assert.Equal(1e-3, options.ValueLearningRate);
        Assert.Equal(ValueHeadInitialization.FirstBatchMeanReturn, options.ValueHeadInitialization);
        Assert.Equal(8, options.StallWarningUpdates);
        Assert.Equal(AdvantageWhitening.None, options.AdvantageWhitening);
        Assert.Equal(CriticTraining.HeadsOnly, options.Critic);
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
        { new PamaTrainerOptions { AdaptiveKl = new AdaptiveKlOptions(), KlCoefficient = 0 }, nameof(PamaTrainerOptions.KlCoefficient) },
        { new PamaTrainerOptions { AdvantageEstimator = new GroupRelativeAdvantages(2), SamplesPerPrompt = 2, Critic = CriticTraining.ThroughTrunk }, nameof(PamaTrainerOptions.Critic) },
        { new PamaTrainerOptions { AdvantageEstimator = null! }, nameof(PamaTrainerOptions.AdvantageEstimator) },
        { new PamaTrainerOptions { LearningRate = 0 }, nameof(PamaTrainerOptions.LearningRate) },
        { new PamaTrainerOptions { ValueLearningRate = double.PositiveInfinity }, nameof(PamaTrainerOptions.ValueLearningRate) },
        { new PamaTrainerOptions { WeightDecay = -1 }, nameof(PamaTrainerOptions.WeightDecay) },
        { new PamaTrainerOptions { MaxGradNorm = 0 }, nameof(PamaTrainerOptions.MaxGradNorm) },
        { new PamaTrainerOptions { PpoEpochs = 0 }, nameof(PamaTrainerOptions.PpoEpochs) },
        { new PamaTrainerOptions { MiniBatches = 0 }, nameof(PamaTrainerOptions.MiniBatches) },
        { new PamaTrainerOptions { ValueLossCoefficient = -1 }, nameof(PamaTrainerOptions.ValueLossCoefficient) },
        { new PamaTrainerOptions { ValueClipRange = 0 }, nameof(PamaTrainerOptions.ValueClipRange) },
        { new PamaTrainerOptions { SamplesPerPrompt = 0 }, nameof(PamaTrainerOptions.SamplesPerPrompt) },
        { new PamaTrainerOptions { AdvantageEstimator = new GroupRelativeAdvantages(2) }, nameof(PamaTrainerOptions.SamplesPerPrompt) },
        { new PamaTrainerOptions { AdvantageEstimator = new GroupRelativeAdvantages(2), SamplesPerPrompt = 3 }, nameof(PamaTrainerOptions.SamplesPerPrompt) },
        { new PamaTrainerOptions { Method = new MorlhfMethod(1.0) }, nameof(PamaTrainerOptions.Method) },
        { new PamaTrainerOptions { Method = null! }, nameof(PamaTrainerOptions.Method) },
        { new PamaTrainerOptions { LearningRateSchedule = null! }, nameof(PamaTrainerOptions.LearningRateSchedule) },
    };

    [Fact]
    public void PreferenceWeightsFollowTheCoreRule()
    {
        // One rule for preferences, the core PreferenceWeighting's: nonnegative, finite, not all zero; normalised to sum 1.
        Assert.Equal([0.5, 0.5], new MorlhfMethod(0.7, 0.7).Weights!);
        Assert.Contains("objective 1", Assert.Throws<ArgumentException>(() => new MorlhfMethod(1.5, -0.5)).Message);
        Assert.Throws<ArgumentException>(() => new MorlhfMethod(0.0, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PamaMethod((WeightingGranularity)42));
    }

    [Fact]
    public void LinearWarmupDecayRisesThenFallsToZero()
    {
        var schedule = LearningRateSchedule.LinearWarmupDecay(warmupSteps: 3, totalSteps: 7);
        // Warm-up (k+1)/(w+1) for k < w, then (total − k)/(total − w): values derived by hand.
        double[] expected = [0.25, 0.5, 0.75, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0];
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], schedule.Factor(k), 12);
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.LinearWarmupDecay(5, 5));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void InvalidSettingIsRejectedNamingTheProperty(PamaTrainerOptions options, string property)
    {
        var error = Assert.Throws<ArgumentException>(() => options.Validate(2));
        Assert.Equal(property, error.ParamName);
        Assert.Contains(property, error.Message);
    }
}
