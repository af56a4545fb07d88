using MathNet.Numerics.LinearAlgebra;
using Pama.TorchSharp.Aggregation;
using Pama.TorchSharp.Distributed;
using Pama.Weightings;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Aggregation;

/// <summary>
/// The general multi-objective backward on a small float64 MLP with a shared trunk and three regression heads: .grad must be
/// exactly Σ wᵢ ∇Lᵢ, with the per-objective gradients and the Gramian formed here independently (one plain backward per
/// objective on a fresh forward), and two data-parallel ranks must give one process's answer.
/// </summary>
public sealed class MultiObjectiveBackwardTests
{
    private const int Heads = 3;

    [Theory]
    [InlineData("upgrad")]
    [InlineData("mgda")]
    [InlineData("pcgrad")]
    [InlineData("mean")]
    public void ParameterGramianLeavesTheWeightedSumInGrad(string method)
    {
        var model = new Mlp(seed: 1);
        var (x, y) = Batch(seed: 2, rows: 6);
        var explicitGradients = ExplicitGradients(model, x, y);
        var gramian = Gramian(explicitGradients);
        var expectedWeights = new double[Heads];
        Create(method).ComputeWeights(Create(method).Reads.HasFlag(WeightingInputs.Gramian) ? WeightingInput.FromGramian(gramian) : WeightingInput.FromObjectiveCount(Heads), expectedWeights);

        var weighting = Create(method);
        if (weighting is IStatefulWeighting stateful)
        {
            // The backward advances a stateful weighting once before solving; the oracle must see the same step.
            var oracle = Create(method);
            ((IStatefulWeighting)oracle).Observe(WeightingInput.FromGramian(gramian));
            oracle.ComputeWeights(WeightingInput.FromGramian(gramian), expectedWeights);
        }

        model.ZeroGrad();
        var result = MultiObjectiveBackward.Backward(model.Losses(x, y), model.Parameters, weighting);

        for (int i = 0; i < Heads; i++)
        {
            Assert.Equal(expectedWeights[i], result.Weights[i], 12);
        }

        if (result.Gramian is not null)
        {
            AssertClose(gramian, result.Gramian);
        }
        else
        {
            Assert.Equal("mean", method);
        }

        AssertGradEquals(model, Combine(explicitGradients, expectedWeights));
    }

    [Fact]
    public void GradientsAreAddedToExistingGrad()
    {
        var model = new Mlp(seed: 3);
        var (x, y) = Batch(seed: 4, rows: 5);
        var explicitGradients = ExplicitGradients(model, x, y);
        var expectedWeights = new double[Heads];
        new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(Gramian(explicitGradients)), expectedWeights);
        var expected = Combine(explicitGradients, expectedWeights);
        model.ZeroGrad();
        using (no_grad())
        {
            foreach (var p in model.Parameters)
            {
                p.grad = ones_like(p);
            }
        }

        MultiObjectiveBackward.Backward(model.Losses(x, y), model.Parameters, new UpgradWeighting());
        AssertGradEquals(model, expected.Select(g => g.Select(v => v + 1.0).ToArray()).ToArray());
    }

    [Fact]
    public void FeatureGramianThenOneBackward()
    {
        var model = new Mlp(seed: 5);
        var (x, y) = Batch(seed: 6, rows: 7);

        // Oracle: gradients of each loss w.r.t. the trunk output on fresh forwards, Gramian by dot products,
        // MGDA weights, then ∇(Σ wᵢ Lᵢ) by one plain backward.
        var featureGradients = new double[Heads][];
        for (int i = 0; i < Heads; i++)
        {
            var features = model.Trunk(x);
            var loss = model.HeadLosses(features, y)[i];
            featureGradients[i] = Values(autograd.grad([loss], [features])[0]);
        }

        var gramian = Gramian(featureGradients);
        var weights = new double[Heads];
        new MgdaWeighting().ComputeWeights(WeightingInput.FromGramian(gramian), weights);
        var explicitGradients = ExplicitGradients(model, x, y);
        var expected = Combine(explicitGradients, weights);

        model.ZeroGrad();
        var trunk = model.Trunk(x);
        var result = MultiObjectiveBackward.BackwardThroughFeatures(model.HeadLosses(trunk, y), [trunk], model.Parameters, new MgdaWeighting());
        AssertClose(gramian, result.Gramian!);
        for (int i = 0; i < Heads; i++)
        {
            Assert.Equal(weights[i], result.Weights[i], 12);
        }

        AssertGradEquals(model, expected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TwoRanksEqualOneProcess(bool throughFeatures)
    {
        var (x, y) = Batch(seed: 8, rows: 6);
        var single = new Mlp(seed: 7);
        single.ZeroGrad();
        var singleResult = Run(single, x, y, SingleProcessGroup.Instance, throughFeatures, share: 1.0);

        var group = new InMemoryGroup(2);
        var ranks = new Mlp[2];
        var results = new MultiObjectiveBackwardResult[2];
        var threads = Enumerable.Range(0, 2).Select(rank => new Thread(() =>
        {
            ranks[rank] = new Mlp(seed: 7);
            ranks[rank].ZeroGrad();
            using var scope = NewDisposeScope();
            Tensor xs = x.narrow(0, rank * 3, 3), ys = y.narrow(0, rank * 3, 3);
            results[rank] = Run(ranks[rank], xs, ys, group.Rank(rank), throughFeatures, share: 0.5);
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        for (int rank = 0; rank < 2; rank++)
        {
            AssertClose(singleResult.Gramian!, results[rank].Gramian!);
            for (int i = 0; i < Heads; i++)
            {
                Assert.Equal(singleResult.Weights[i], results[rank].Weights[i], 10);
            }

            AssertGradEquals(ranks[rank], single.Parameters.Select(p => Values(p.grad!)).ToArray());
        }
    }

    [Fact]
    public void BadInputChangesNothing()
    {
        var model = new Mlp(seed: 9);
        var (x, y) = Batch(seed: 10, rows: 4);
        model.ZeroGrad();
        var losses = model.Losses(x, y);
        using var nan = tensor(double.NaN, ScalarType.Float64);
        var poisoned = new[] { losses[0], losses[1] * nan, losses[2] };
        var error = Assert.Throws<ArgumentException>(() => MultiObjectiveBackward.Backward(poisoned, model.Parameters, new UpgradWeighting()));
        Assert.Contains("objective 1", error.Message, StringComparison.Ordinal);
        Assert.All(model.Parameters, p => Assert.True(p.grad is null || Values(p.grad).All(v => v == 0.0)));

        Assert.Throws<ArgumentException>(() => MultiObjectiveBackward.Backward([model.Trunk(x).select(1, 0), losses[0]], model.Parameters, new MeanWeighting()));
        Assert.Throws<ArgumentException>(() => MultiObjectiveBackward.Backward(losses, model.Parameters, new PamaWeighting()));
        Assert.Throws<ArgumentException>(() => MultiObjectiveBackward.Backward([model.Trunk(x).sum(), losses[0]], [model.Trunk(x)], new MeanWeighting()));
    }

    private static MultiObjectiveBackwardResult Run(Mlp model, Tensor x, Tensor y, IProcessGroup group, bool throughFeatures, double share)
    {
        using var scale = share.ToScalar();
        if (throughFeatures)
        {
            var trunk = model.Trunk(x);
            var losses = model.HeadLosses(trunk, y).Select(l => l.mul(scale)).ToArray();
            return MultiObjectiveBackward.BackwardThroughFeatures(losses, [trunk], model.Parameters, new MgdaWeighting(), group);
        }

        return MultiObjectiveBackward.Backward(model.Losses(x, y).Select(l => l.mul(scale)).ToArray(), model.Parameters, new UpgradWeighting(), group);
    }

    private static IWeighting Create(string method) => method switch
    {
        "upgrad" => new UpgradWeighting(),
        "mgda" => new MgdaWeighting(),
        "pcgrad" => new PcGradWeighting(seed: 4),
        "mean" => new MeanWeighting(),
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// <summary>∇Lᵢ for every parameter by one plain backward per objective on a fresh forward (unused parameters: zeros).</summary>
    private static double[][][] ExplicitGradients(Mlp model, Tensor x, Tensor y)
    {
        var result = new double[Heads][][];
        for (int i = 0; i < Heads; i++)
        {
            model.ZeroGrad();
            model.Losses(x, y)[i].backward();
            result[i] = model.Parameters.Select(p => p.grad is null ? new double[p.numel()] : Values(p.grad)).ToArray();
        }

        model.ZeroGrad();
        return result;
    }

    private static Matrix<double> Gramian(double[][][] gradients) =>
        Gramian(gradients.Select(g => g.SelectMany(v => v).ToArray()).ToArray());

    private static Matrix<double> Gramian(double[][] flat) =>
        Matrix<double>.Build.Dense(flat.Length, flat.Length, (i, j) => flat[i].Zip(flat[j], (a, b) => a * b).Sum());

    private static double[][] Combine(double[][][] gradients, double[] weights) =>
        Enumerable.Range(0, gradients[0].Length).Select(k =>
            Enumerable.Range(0, gradients[0][k].Length).Select(e => Enumerable.Range(0, Heads).Sum(i => weights[i] * gradients[i][k][e])).ToArray()).ToArray();

    private static void AssertGradEquals(Mlp model, double[][] expected)
    {
        for (int k = 0; k < model.Parameters.Count; k++)
        {
            var actual = Values(model.Parameters[k].grad!);
            double scale = Math.Max(1.0, expected[k].Max(Math.Abs));
            for (int e = 0; e < actual.Length; e++)
            {
                Assert.True(Math.Abs(actual[e] - expected[k][e]) <= 1e-12 * scale, $"parameter {k} entry {e}: {actual[e]:R} vs {expected[k][e]:R}");
            }
        }
    }

    private static void AssertClose(Matrix<double> expected, Matrix<double> actual)
    {
        double scale = expected.Diagonal().Maximum();
        Assert.True((expected - actual).Enumerate().All(v => Math.Abs(v) <= 1e-12 * scale), $"{expected} vs {actual}");
    }

    private static double[] Values(Tensor t) => t.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static (Tensor X, Tensor Y) Batch(int seed, int rows)
    {
        using var generator = new Generator((ulong)seed);
        return (randn([rows, 4], ScalarType.Float64, generator: generator), randn([rows, Heads], ScalarType.Float64, generator: generator));
    }

    /// <summary>tanh trunk 4 → 6 shared by three linear heads 6 → 1 with squared-error losses; float64 leaves.</summary>
    private sealed class Mlp
    {
        public Mlp(int seed)
        {
            using var generator = new Generator((ulong)seed);
            Tensor Leaf(long[] shape) => randn(shape, ScalarType.Float64, generator: generator).requires_grad_();
            Parameters = [Leaf([4, 6]), Leaf([6]), .. Enumerable.Range(0, Heads).SelectMany(_ => new[] { Leaf([6, 1]), Leaf([1]) })];
        }

        public IReadOnlyList<Tensor> Parameters { get; }

        public Tensor Trunk(Tensor x) => x.matmul(Parameters[0]).add(Parameters[1]).tanh();

        public Tensor[] Losses(Tensor x, Tensor y) => HeadLosses(Trunk(x), y);

        public Tensor[] HeadLosses(Tensor features, Tensor y) => Enumerable.Range(0, Heads).Select(i =>
        {
            Tensor error = features.matmul(Parameters[2 + (2 * i)]).add(Parameters[3 + (2 * i)]).squeeze(1).sub(y.select(1, i));
            return error.mul(error).mean();
        }).ToArray();

        public void ZeroGrad()
        {
            using (no_grad())
            {
                foreach (var p in Parameters)
                {
                    p.grad?.zero_();
                }
            }
        }
    }

    /// <summary>n ranks in one process: AllReduceSum blocks until every rank has contributed, then all read the sum.</summary>
    private sealed class InMemoryGroup(int size)
    {
        private readonly Barrier barrier = new(size);
        private readonly object gate = new();
        private double[]? sum;

        public IProcessGroup Rank(int rank) => new Member(this, rank, size);

        private void AllReduce(Span<double> values)
        {
            lock (gate)
            {
                sum ??= new double[values.Length];
                for (int k = 0; k < values.Length; k++)
                {
                    sum[k] += values[k];
                }
            }

            barrier.SignalAndWait();
            sum!.AsSpan(0, values.Length).CopyTo(values);
            barrier.SignalAndWait();
            lock (gate)
            {
                sum = null;
            }

            barrier.SignalAndWait();
        }

        private sealed class Member(InMemoryGroup group, int rank, int size) : IProcessGroup
        {
            public int Rank => rank;

            public int Size => size;

            public void AllReduceSum(Span<double> values) => group.AllReduce(values);
        }
    }
}
