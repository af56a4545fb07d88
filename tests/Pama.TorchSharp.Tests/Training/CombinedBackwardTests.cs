using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Ppo;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The Noon loss is linear in the advantage: one backward of the combined loss equals Σ c_i ∇L^i.</summary>
public sealed class CombinedBackwardTests
{
    private const double Epsilon = 0.2;

    [Theory]
    [InlineData(WeightingGranularity.Batch)]
    [InlineData(WeightingGranularity.Sequence)]
    [InlineData(WeightingGranularity.Token)]
    public void OneBackwardEqualsWeightedSumOfPerObjectiveBackwards(WeightingGranularity granularity)
    {
        var policy = TinyModels.Gpt2(3);
        var sequences = TinyModels.Sequences();
        using var generator = new Generator(5);
        Tensor mask = sequences.ResponseMask;
        // Rollout log-probs a little off the current ones, so ratios fall on both sides of 1 ± ε.
        Tensor oldLogProbs;
        using (no_grad())
            oldLogProbs = ResponseForward.Run(policy, sequences).LogProbs.Plus(randn([3, 5], ScalarType.Float64, generator: generator).Times(0.3));
        Tensor advantages = randn([3, 5, 3], ScalarType.Float64, generator: generator).Plus(0.4);

        var forward = ResponseForward.Run(policy, sequences);
        var combined = new CombineStage(new PamaMethod(granularity), 3).Combine(new MethodInput(advantages, forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, Epsilon));
        Tensor combinedLoss = PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, combined.Advantage, mask, Epsilon);
        double[] oneBackward = Gradient(policy, combinedLoss);

        // Σ_i c_i ∇L^i from n separate backwards, with L^i = −mean_t max(A'^i,0) min(u, 1+ε) written out here,
        // and the weights applied where they live (per batch, per response row or per token).
        Tensor weights = WeightTensor(combined, granularity, [3, 5, 3]);
        double[] sum = new double[oneBackward.Length];
        for (int i = 0; i < 3; i++)
        {
            var f = ResponseForward.Run(policy, sequences);
            Tensor u = (f.LogProbs - oldLogProbs).exp();
            Tensor noon = advantages.select(-1, i).ClampMin(0.0) * weights.select(-1, i);
            Tensor loss = -(noon * minimum(u, u.FullLike(1 + Epsilon)) * mask).sum() / mask.sum();
            double[] g = Gradient(policy, loss);
            for (int k = 0; k < g.Length; k++) sum[k] += g[k];
        }

        double scale = sum.Max(Math.Abs);
        Assert.True(scale > 1e-6, "the gradients must not vanish for the comparison to mean anything");
        for (int k = 0; k < sum.Length; k++)
            Assert.True(Math.Abs(oneBackward[k] - sum[k]) <= 1e-9 * scale, $"gradient entry {k}: {oneBackward[k]} vs {sum[k]}");
    }

    [Fact]
    public void OneBackwardWithArbitrarySimplexWeightsEqualsWeightedSum()
    {
        var policy = TinyModels.Gpt2(4);
        var sequences = TinyModels.Sequences();
        using var generator = new Generator(6);
        Tensor mask = sequences.ResponseMask;
        Tensor oldLogProbs;
        using (no_grad())
            oldLogProbs = ResponseForward.Run(policy, sequences).LogProbs.Plus(randn([3, 5], ScalarType.Float64, generator: generator).Times(0.3));
        Tensor noon = randn([3, 5, 3], ScalarType.Float64, generator: generator).Plus(0.2).ClampMin(0.0);
        double[] c = [0.2, 0.5, 0.3];

        var forward = ResponseForward.Run(policy, sequences);
        Tensor combinedAdvantage = (noon * tensor(c, ScalarType.Float64)).sum(-1);
        double[] oneBackward = Gradient(policy, PpoLosses.ClippedSurrogate(forward.LogProbs, oldLogProbs, combinedAdvantage, mask, Epsilon));

        double[] sum = new double[oneBackward.Length];
        for (int i = 0; i < 3; i++)
        {
            var f = ResponseForward.Run(policy, sequences);
            Tensor u = (f.LogProbs - oldLogProbs).exp();
            Tensor loss = -(noon.select(-1, i) * minimum(u, u.FullLike(1 + Epsilon)) * mask).sum() / mask.sum();
            double[] g = Gradient(policy, loss);
            for (int k = 0; k < g.Length; k++) sum[k] += c[i] * g[k];
        }
        double scale = sum.Max(Math.Abs);
        for (int k = 0; k < sum.Length; k++)
            Assert.True(Math.Abs(oneBackward[k] - sum[k]) <= 1e-9 * scale, $"gradient entry {k}: {oneBackward[k]} vs {sum[k]}");
    }

    private static Tensor WeightTensor(CombinedAdvantage combined, WeightingGranularity granularity, long[] shape) => granularity switch
    {
        WeightingGranularity.Batch => tensor(combined.Weights.ToArray(), ScalarType.Float64).reshape(1, 1, shape[2]).expand(shape),
        WeightingGranularity.Sequence => tensor(combined.RowWeights!.ToArray(), ScalarType.Float64).reshape(shape[0], 1, shape[2]).expand(shape),
        _ => tensor(combined.RowWeights!.ToArray(), ScalarType.Float64).reshape(shape),
    };

    private static double[] Gradient(nn.Module model, Tensor loss)
    {
        model.zero_grad();
        loss.backward();
        return [.. model.parameters().SelectMany(p => TinyModels.Values(p.grad!))];
    }
}
