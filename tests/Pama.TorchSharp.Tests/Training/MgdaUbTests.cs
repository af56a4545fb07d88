using MathNet.Numerics.LinearAlgebra;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rollout;
using Pama.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>MGDA-UB's weights are the core min-norm weights of the Gramian of per-objective hidden-state gradients.</summary>
public sealed class MgdaUbTests
{
    private const double Epsilon = 0.2;

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void WeightsEqualCoreMgdaOnIndependentlyComputedGramian(int n)
    {
        var policy = TinyModels.Gpt2(8);
        var sequences = TinyModels.Sequences();
        using var generator = new Generator(9);
        Tensor mask = sequences.ResponseMask;
        Tensor oldLogProbs;
        using (no_grad())
            oldLogProbs = ResponseForward.Run(policy, sequences).LogProbs.Plus(randn([3, 5], ScalarType.Float64, generator: generator).Times(0.3));
        Tensor advantages = randn([3, 5, n], ScalarType.Float64, generator: generator);

        var forward = ResponseForward.Run(policy, sequences);
        var combined = new CombineStage(new MgdaUbMethod(), n).Combine(new MethodInput(advantages, forward.LogProbs, oldLogProbs, mask, forward.LastHiddenState, Epsilon));

        // Independent: standard PPO loss per objective (negatives kept), gradient w.r.t. the last hidden states,
        // Gramian by explicit dot products.
        var gradients = new double[n][];
        for (int i = 0; i < n; i++)
        {
            var f = ResponseForward.Run(policy, sequences);
            Tensor u = (f.LogProbs - oldLogProbs).exp();
            Tensor a = advantages.select(-1, i);
            Tensor surrogate = minimum(u * a, u.Clamp(1 - Epsilon, 1 + Epsilon) * a);
            Tensor loss = -(surrogate * mask).sum() / mask.sum();
            gradients[i] = TinyModels.Values(autograd.grad([loss], [f.LastHiddenState])[0]);
        }
        var gramian = Matrix<double>.Build.Dense(n, n, (i, j) => gradients[i].Zip(gradients[j], (x, y) => x * y).Sum());
        var expected = new double[n];
        MgdaWeighting.Solve(gramian, expected);

        Assert.True(gramian.Diagonal().Minimum() > 0);
        for (int i = 0; i < n; i++) Assert.Equal(expected[i], combined.Weights[i], 7);
        double[] adv = TinyModels.Values(advantages), actual = TinyModels.Values(combined.Advantage);
        for (int k = 0; k < 15; k++)
            Assert.Equal(Enumerable.Range(0, n).Sum(i => expected[i] * adv[k * n + i]), actual[k], 7);
        Assert.True(combined.UpdatesPolicy);
    }
}
