using MathNet.Numerics.LinearAlgebra;
using Pama.Examples;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Ppo;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using Pama.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The one combine stage: the same stationary rules and reasons for every method, normalisation, Gramians over parameters.</summary>
public sealed class CombineStageTests
{
    private const double Epsilon = 0.2;

    public static TheoryData<string> Methods => ["pama", "pama-token", "morlhf", "gdpo", "mgda-ub", "mgda-parameters", "lowest-reward-first"];

    private static IMultiObjectiveMethod Method(string key) => key switch
    {
        "pama" => new PamaMethod(),
        "pama-token" => new PamaMethod(WeightingGranularity.Token),
        "morlhf" => new MorlhfMethod(),
        "gdpo" => new NormalizeThenSumMethod(),
        "mgda-ub" => new MgdaUbMethod(),
        "mgda-parameters" => new WeightingMethod("MGDA", _ => new MgdaWeighting()),
        _ => new LowestRewardFirstMethod(),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void EveryMethodLeavesThePolicyBitwiseUnchangedWhenEveryObjectiveIsFlat(string key)
    {
        // Constant rewards at the first step (heads calibrated to them, no KL yet): every advantage is exactly 0. A step of
        // AdamW with weight decay would move the parameters even with a zero gradient, so no policy optimizer may step.
        var options = TinyModels.Options(Method(key)) with { WeightDecay = 0.1 };
        var (trainer, policy) = TinyModels.Trainer(options,
            RewardObjective.FromText("a", (p, r) => 2.0), RewardObjective.FromText("b", (p, r) => -0.5));
        using var __ = trainer;
        var before = TinyModels.Snapshot(policy);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.False(metrics.PolicyUpdated);
        Assert.Equal(metrics.Updates, metrics.StationaryUpdates);
        Assert.All(metrics.StationaryDetails, d => Assert.Equal(["a", "b"], d.FlatObjectives));
        Assert.Contains("did not vary", metrics.StationaryReason);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }

    private static CombinedAdvantage CombineOnce(IMultiObjectiveMethod method, double[] advantages, long[] shape, string[] names)
    {
        Tensor a = tensor(advantages, shape, ScalarType.Float64);
        Tensor logProbs = zeros(shape[0], shape[1], ScalarType.Float64);   // u = 1 everywhere: every token unclipped
        Tensor mask = ones(shape[0], shape[1], ScalarType.Float64);
        return new CombineStage(method, (int)shape[2], names).Combine(
            new MethodInput(a, logProbs, logProbs, mask, zeros(shape[0], shape[1], 2, ScalarType.Float64), Epsilon));
    }

    [Theory]
    [InlineData(WeightingGranularity.Sequence)]
    [InlineData(WeightingGranularity.Token)]
    public void AtRowGranularityTheReasonSaysEachRowLackedADifferentObjective(WeightingGranularity granularity)
    {
        // Two rows of one token each: row 0 has a positive advantage for 'x' only, row 1 for 'y' only. Each row's statistics
        // straddle 0 (one is 0), so s* = 0 in every row although each objective is positive somewhere.
        long[] shape = granularity == WeightingGranularity.Sequence ? [2, 1, 2] : [1, 2, 2];
        CombinedAdvantage combined = CombineOnce(new PamaMethod(granularity), [1.0, -0.5, -0.25, 2.0], shape, ["x", "y"]);

        Assert.False(combined.UpdatesPolicy);
        Assert.Empty(combined.WithoutPositiveAdvantage!);
        Assert.Contains("s* = 0 in every", combined.StationaryCause);
        Assert.Contains("not the same one in all", combined.StationaryCause);
    }

    [Fact]
    public void AtBatchGranularityTheReasonNamesTheObjectiveWithoutPositiveAdvantage()
    {
        CombinedAdvantage combined = CombineOnce(new PamaMethod(), [1.0, -0.5, 0.5, -2.0], [1, 2, 2], ["x", "y"]);

        Assert.False(combined.UpdatesPolicy);
        Assert.Equal([1], combined.WithoutPositiveAdvantage);
        Assert.Equal("s* = 0: no positive unclipped advantage for 'y'", combined.StationaryCause);
        Assert.Equal([0.75, 0.0], combined.Statistics);
    }

    [Fact]
    public void ACombinedAdvantageOfZeroIsStationary()
    {
        // All weight on 'y' (lowest reward), whose advantage is zero on every token of this minibatch but not flat ... on
        // no rank either: here it is exactly zero, so it is flat, and the reward weighting (which ignores flatness) puts
        // its weight on it: the combined advantage is zero and the policy stays.
        var stage = new CombineStage(new LowestRewardFirstMethod(), 2, ["x", "y"]);
        stage.BeginStep([1.0, -1.0]);
        Tensor logProbs = zeros(1, 2, ScalarType.Float64);
        CombinedAdvantage combined = stage.Combine(new MethodInput(tensor(new[] { 1.0, 0.0, -2.0, 0.0 }, [1, 2, 2], ScalarType.Float64),
            logProbs, logProbs, ones(1, 2, ScalarType.Float64), zeros(1, 2, 2, ScalarType.Float64), Epsilon));

        Assert.Equal([0.0, 1.0], combined.Weights);
        Assert.False(combined.UpdatesPolicy);
        Assert.Contains("zero on every token", combined.StationaryCause);
    }

    [Fact]
    public void NormalizeThenSumNormalisesEachObjectiveOverTheBatchThenSumsWithThePreferences()
    {
        using var generator = new Generator(3);
        Tensor mask = tensor(new double[] { 1, 1, 1, 0, 1, 0, 0, 0 }, [2, 4], ScalarType.Float64);
        Tensor scales = tensor(new[] { 0.1, 30.0 }, ScalarType.Float64);
        Tensor advantages = randn([2, 4, 2], ScalarType.Float64, generator: generator) * scales * mask.unsqueeze(-1);
        var stage = new CombineStage(new NormalizeThenSumMethod(1, 3), 2);

        Tensor prepared = stage.PrepareStep(advantages, mask, AdvantageWhitening.None);
        Tensor logProbs = zeros(2, 4, ScalarType.Float64);
        CombinedAdvantage combined = stage.Combine(new MethodInput(prepared, logProbs, logProbs, mask, zeros(2, 4, 2, ScalarType.Float64), Epsilon));

        // Independently: masked mean and unbiased variance over the 4 response tokens, per objective; then 0.25 Â¹ + 0.75 Â².
        double[] a = TinyModels.Values(advantages), m = TinyModels.Values(mask), actual = TinyModels.Values(combined.Advantage);
        var normalised = new double[8, 2];
        for (int i = 0; i < 2; i++)
        {
            double mean = 0, squares = 0;
            for (int k = 0; k < 8; k++) mean += m[k] * a[k * 2 + i] / 4;
            for (int k = 0; k < 8; k++) squares += m[k] * Math.Pow(a[k * 2 + i] - mean, 2);
            for (int k = 0; k < 8; k++) normalised[k, i] = m[k] * (a[k * 2 + i] - mean) / Math.Sqrt(squares / 3 + 1e-8);
        }
        for (int k = 0; k < 8; k++) Assert.Equal(0.25 * normalised[k, 0] + 0.75 * normalised[k, 1], actual[k], 10);
        Assert.Equal([0.25, 0.75], combined.Weights);
    }

    [Fact]
    public void AGramianMethodOnALoraAdapterWeighsTheParameterGradientsAndOneBackwardGivesTheirWeightedSum()
    {
        Gpt2Model policy = TinyModels.Gpt2(2);
        using var loraGenerator = new Generator(6);
        using LoraAdapter adapter = LoraAdapter.Apply(policy, new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["c_attn", "c_fc"] }, loraGenerator);
        using (no_grad()) foreach (var p in adapter.Parameters) p.normal_(0, 0.3, loraGenerator);
        RolloutSequences sequences = TinyModels.Sequences();
        Tensor mask = sequences.ResponseMask;
        using var generator = new Generator(8);
        Tensor oldLogProbs;
        // Ratios inside [1 − ε, 1 + ε]: there the clipped surrogate is linear in the advantage whatever its sign (beyond the clip
        // range it is A·min(u, 1+ε) for A > 0 but A·max(u, 1−ε) for A < 0, and a sum of mixed-sign advantages is not linear).
        using (no_grad()) oldLogProbs = ResponseForward.Run(policy, sequences).LogProbs.Plus(randn([3, 5], ScalarType.Float64, generator: generator).Times(0.02));
        Tensor advantages = randn([3, 5, 3], ScalarType.Float64, generator: generator);
        var stage = new CombineStage(new WeightingMethod("MGDA", _ => new MgdaWeighting()), 3, null,
            policy.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)));
        IReadOnlyList<global::TorchSharp.Modules.Parameter> parameters = adapter.Parameters;

        var forward = ResponseForward.Run(policy, sequences);
        using (no_grad()) Assert.True(TinyModels.Values((forward.LogProbs - oldLogProbs).abs() * mask).Max() < 0.18);
        CombinedAdvantage combined = stage.Combine(new MethodInput(advantages, forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, Epsilon));
        double[] oneBackward = Gradient(parameters, PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, combined.Advantage, mask, Epsilon));

        // Independently: each objective's loss written out, its own forward and backward into .grad, then the Gramian by dot products.
        var gradients = new double[3][];
        for (int i = 0; i < 3; i++)
        {
            var f = ResponseForward.Run(policy, sequences);
            Tensor u = (f.LogProbs - oldLogProbs).exp(), a = advantages.select(-1, i);
            gradients[i] = Gradient(parameters, -(minimum(u * a, u.Clamp(1 - Epsilon, 1 + Epsilon) * a) * mask).sum() / mask.sum());
        }
        var gramian = Matrix<double>.Build.Dense(3, 3, (i, j) => gradients[i].Zip(gradients[j], (x, y) => x * y).Sum());
        var expected = new double[3];
        MgdaWeighting.Solve(gramian, expected);

        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], combined.Weights[i], 9);
        Assert.True(expected.Count(c => c > 1e-6) >= 2, "the case should mix objectives");
        for (int k = 0; k < oneBackward.Length; k++)
            Assert.Equal(Enumerable.Range(0, 3).Sum(i => expected[i] * gradients[i][k]), oneBackward[k], 9);
    }

    private static double[] Gradient(IReadOnlyList<global::TorchSharp.Modules.Parameter> parameters, Tensor loss)
    {
        foreach (var p in parameters) p.grad?.zero_();
        loss.backward();
        return [.. parameters.SelectMany(p => TinyModels.Values(p.grad!))];
    }
}
