using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The TRL-parity options: advantage whitening, a critic that trains the trunk, no gradient clipping.</summary>
public sealed class WhiteningAndCriticTests
{
    private static readonly int[] Lengths = [5, 3, 1, 4];
    private const int T = 5, N = 3;

    private static double Vowels(string r) => r.Count(c => "aeiou".Contains(c)) / 2.0;

    private static double Length(string r) => Math.Clamp(r.Length / 3.0, 0.5, 1.5);

    private static Tensor Mask()
    {
        var mask = new double[Lengths.Length * T];
        for (int b = 0; b < Lengths.Length; b++)
            for (int t = 0; t < Lengths[b]; t++) mask[b * T + t] = 1;
        return tensor(mask, [Lengths.Length, T], ScalarType.Float64);
    }

    [Fact]
    public void WhiteningGivesZeroMeanAndUnitVariancePerObjectiveUnderTheMask()
    {
        using var generator = new Generator(5);
        Tensor mask = Mask();
        // Objectives of very different scales and offsets, and garbage on the padding that must not count.
        Tensor scales = tensor(new[] { 0.01, 1.0, 250.0 }, ScalarType.Float64);
        Tensor advantages = (randn([Lengths.Length, T, N], ScalarType.Float64, generator: generator) * scales).Plus(tensor(new[] { 3.0, -1.0, 40.0 }, ScalarType.Float64));

        double[] whitened = TinyModels.Values(MaskedWhitening.PerObjective(advantages, mask));

        double[] m = TinyModels.Values(mask), raw = TinyModels.Values(advantages);
        int tokens = Lengths.Sum();
        for (int i = 0; i < N; i++)
        {
            // Float64 reference written here: masked mean and unbiased masked variance, before and after.
            double rawMean = 0, mean = 0;
            for (int k = 0; k < m.Length; k++) { rawMean += m[k] * raw[k * N + i]; mean += m[k] * whitened[k * N + i]; }
            rawMean /= tokens;
            mean /= tokens;
            double rawVariance = 0, variance = 0;
            for (int k = 0; k < m.Length; k++)
            {
                rawVariance += m[k] * Math.Pow(raw[k * N + i] - rawMean, 2);
                variance += m[k] * Math.Pow(whitened[k * N + i] - mean, 2);
            }

            rawVariance /= tokens - 1;
            variance /= tokens - 1;
            Assert.Equal(0.0, mean, 12);
            // TRL divides by sqrt(var + 1e-8), so the variance is var / (var + 1e-8), not exactly 1.
            Assert.Equal(rawVariance / (rawVariance + 1e-8), variance, 12);
            Assert.InRange(variance, 1 - 1e-3, 1.0);
            for (int k = 0; k < m.Length; k++)
            {
                if (m[k] == 0) Assert.Equal(0.0, whitened[k * N + i]);
                else Assert.Equal((raw[k * N + i] - rawMean) / Math.Sqrt(rawVariance + 1e-8), whitened[k * N + i], 10);
            }
        }
    }

    [Fact]
    public void WhiteningChangesThePolicyUpdateButNotTheValueTargets()
    {
        // One update per step (1 epoch, 1 minibatch): the value heads' loss is computed on the rollout policy's hidden
        // states, so the heads move identically exactly when their targets, the returns, are the same. Whitening
        // must leave them (TRL takes the returns from the unwhitened advantages) while changing the policy's step.
        var options = TinyModels.Options(new PamaMethod()) with { PpoEpochs = 1, MiniBatches = 1 };
        IRewardObjective[] objectives =
        [
            RewardObjective.FromText("vowels", (p, r) => Vowels(r)), RewardObjective.FromText("length", (p, r) => 10 * Length(r)),
        ];
        var (plain, plainPolicy) = TinyModels.Trainer(options, objectives);
        var (whitened, whitenedPolicy) = TinyModels.Trainer(options with { AdvantageWhitening = AdvantageWhitening.PerObjective }, objectives);
        using var _ = plain;
        using var __ = whitened;

        plain.Step(TinyModels.Prompts);
        whitened.Step(TinyModels.Prompts);

        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(plain.ValueHeads), TinyModels.Snapshot(whitened.ValueHeads)), "returns must not be whitened");
        Assert.False(TinyModels.BitwiseEqual(TinyModels.Snapshot(plainPolicy), TinyModels.Snapshot(whitenedPolicy)), "the policy must see whitened advantages");
    }

    [Fact]
    public void CriticThroughTheTrunkMovesThePolicyAtAParetoStationaryBatchAndOnlyByTheValueLoss()
    {
        // As the stationary test of PamaStepTests: an objective without positive advantages makes s* = 0, so the policy
        // loss is skipped. Detached heads leave the policy untouched; a critic trained through the trunk moves it, and
        // with the value loss weighted 0 (and no weight decay, so Adam's step of a zero gradient is exactly 0) it does not.
        IRewardObjective[] objectives = [RewardObjective.FromText("good", (p, r) => 1.0), RewardObjective.FromText("hopeless", (p, r) => -1000.0)];
        var options = TinyModels.Options() with { WeightDecay = 0, ValueHeadInitialization = ValueHeadInitialization.Zero };   // zero heads: A'^hopeless < 0 everywhere

        Dictionary<string, double[]> Moved(PamaTrainerOptions o, out bool changed)
        {
            var (trainer, policy) = TinyModels.Trainer(o, objectives);
            using var _ = trainer;
            var before = TinyModels.Snapshot(policy);
            StepMetrics metrics = trainer.Step(TinyModels.Prompts);
            Assert.Equal(0.0, metrics.OptimalValue);
            Assert.Equal(metrics.Updates, metrics.StationaryUpdates);
            var after = TinyModels.Snapshot(policy);
            changed = !TinyModels.BitwiseEqual(before, after);
            return after;
        }

        Moved(options, out bool detachedChanged);
        Moved(options with { Critic = CriticTraining.ThroughTrunk }, out bool trunkChanged);
        Moved(options with { Critic = CriticTraining.ThroughTrunk, ValueLossCoefficient = 0 }, out bool weightlessChanged);

        Assert.False(detachedChanged, "detached heads: s* = 0 leaves the policy untouched");
        Assert.True(trunkChanged, "a critic through the trunk moves the policy by its value loss");
        Assert.False(weightlessChanged, "with the value loss weighted 0 the trunk gets no gradient");
    }

    [Fact]
    public void InfiniteMaxGradNormTurnsClippingOffAndNaNIsRejected()
    {
        new PamaTrainerOptions { MaxGradNorm = double.PositiveInfinity }.Validate(2);
        Assert.Throws<ArgumentException>(() => new PamaTrainerOptions { MaxGradNorm = double.NaN }.Validate(2));

        // A norm bound far above any gradient here and no bound at all give bitwise the same step.
        IRewardObjective[] objectives = [RewardObjective.FromText("vowels", (p, r) => 100 * Vowels(r)), RewardObjective.FromText("length", (p, r) => Length(r))];
        var options = TinyModels.Options(new MorlhfMethod()) with { WeightDecay = 0 };
        var (bounded, boundedPolicy) = TinyModels.Trainer(options with { MaxGradNorm = 1e300 }, objectives);
        var (unbounded, unboundedPolicy) = TinyModels.Trainer(options with { MaxGradNorm = double.PositiveInfinity }, objectives);
        var (clipped, clippedPolicy) = TinyModels.Trainer(options with { MaxGradNorm = 1e-6 }, objectives);
        using var _ = bounded;
        using var __ = unbounded;
        using var ___ = clipped;
        bounded.Step(TinyModels.Prompts);
        unbounded.Step(TinyModels.Prompts);
        clipped.Step(TinyModels.Prompts);
        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(boundedPolicy), TinyModels.Snapshot(unboundedPolicy)));
        Assert.False(TinyModels.BitwiseEqual(TinyModels.Snapshot(clippedPolicy), TinyModels.Snapshot(unboundedPolicy)));
    }
}
