using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>PCGrad: the two-task closed form, explicit projections of the vectors, seeded order and checkpointed state.</summary>
public sealed class PcGradWeightingTests
{
    [Fact]
    public void TwoTasksMatchTheClosedForm()
    {
        foreach (var @case in GramianCases.Generate(seed: 40, perCount: 200).Where(c => c.Count == 2))
        {
            // Explicit vectors: g₁ᴾᶜ = g₁ − (g₁·g₂/‖g₂‖²)g₂ if g₁·g₂ < 0, and the same for g₂ with the original g₁.
            double[] g1 = @case.Gradients[0];
            double[] g2 = @case.Gradients[1];
            double dot = g1.Zip(g2, (a, b) => a * b).Sum();
            double[] p1 = dot < 0 ? g1.Zip(g2, (a, b) => a - (dot / g2.Sum(x => x * x) * b)).ToArray() : g1;
            double[] p2 = dot < 0 ? g2.Zip(g1, (a, b) => a - (dot / g1.Sum(x => x * x) * b)).ToArray() : g2;
            double[] expected = p1.Zip(p2, (a, b) => a + b).ToArray();

            var w = new double[2];
            new PcGradWeighting(seed: 1).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            double[] d = @case.Combine(w);
            double size = Math.Sqrt(g1.Sum(x => x * x)) + Math.Sqrt(g2.Sum(x => x * x));
            for (int k = 0; k < d.Length; k++)
            {
                Assert.True(Math.Abs(d[k] - expected[k]) <= 1e-12 * size * Math.Max(1.0, Math.Abs(w[0]) + Math.Abs(w[1])), $"{@case.Label}: coordinate {k}");
            }
        }
    }

    [Fact]
    public void TorchJdDocumentationExample()
    {
        // G₁₂ = −22 < 0: w = (1 + 22/18, 1 + 22/38); TorchJD prints d = [0.5848, 3.8012, 3.8012].
        var gradients = GramianCases.TorchJdExample;
        var w = new double[2];
        new PcGradWeighting(seed: 7).ComputeWeights(WeightingInput.FromGramian(GramianCases.Naive(gradients)), w);
        Assert.Equal(1.0 + (22.0 / 18.0), w[0], 13);
        Assert.Equal(1.0 + (22.0 / 38.0), w[1], 13);
        var d = new GramianCases.Case(gradients, GramianCases.Naive(gradients), "example").Combine(w);
        Assert.Equal(0.5848, d[0], 0.0001);
        Assert.Equal(3.8012, d[1], 0.0001);
    }

    [Fact]
    public void EveryStepIsOneChoiceOfOrdersOfExplicitProjections()
    {
        // n = 3, pairwise conflicting: each gᵢᴾᶜ depends on the order of the two others. The weights at every step
        // must give d = Σᵢ gᵢᴾᶜ for one of the 2³ choices of orders, computed here on the vectors; over 60 steps
        // more than one choice must occur (the order is random).
        var gradients = new[] { new[] { 1.0, 0.1, -0.2 }, new[] { -0.6, 1.0, 0.3 }, new[] { -0.5, -0.9, 0.4 } };
        var g = GramianCases.Naive(gradients);
        Assert.True(g[0, 1] < 0 && g[0, 2] < 0 && g[1, 2] < 0);
        double[] Project(int i, int[] order)
        {
            double[] p = (double[])gradients[i].Clone();
            foreach (int j in order)
            {
                double dot = p.Zip(gradients[j], (a, b) => a * b).Sum();
                if (dot < 0)
                {
                    double norm = gradients[j].Sum(x => x * x);
                    p = p.Zip(gradients[j], (a, b) => a - (dot / norm * b)).ToArray();
                }
            }

            return p;
        }

        var options = Enumerable.Range(0, 3).Select(i =>
        {
            int[] others = Enumerable.Range(0, 3).Where(j => j != i).ToArray();
            return new[] { Project(i, others), Project(i, [others[1], others[0]]) };
        }).ToArray();
        var sums = new List<double[]>();
        for (int choice = 0; choice < 8; choice++)
        {
            sums.Add(Enumerable.Range(0, 3).Select(k => Enumerable.Range(0, 3).Sum(i => options[i][(choice >> i) & 1][k])).ToArray());
        }

        var seen = new HashSet<int>();
        var weighting = new PcGradWeighting(seed: 3);
        for (int step = 0; step < 60; step++)
        {
            var w = new double[3];
            weighting.ComputeWeights(WeightingInput.FromGramian(g), w);
            var d = new GramianCases.Case(gradients, g, "three").Combine(w);
            int match = sums.FindIndex(p => Enumerable.Range(0, 3).All(k => Math.Abs(d[k] - p[k]) <= 1e-12));
            Assert.True(match >= 0, $"step {step}: d matches no choice of orders");
            seen.Add(match);
            weighting.Observe(WeightingInput.FromGramian(g));
        }

        Assert.True(seen.Count > 1, "the order never changed");
    }

    [Fact]
    public void OrderIsAFunctionOfSeedAndStep()
    {
        var @case = GramianCases.Generate(seed: 41, perCount: 1).Last();
        var input = WeightingInput.FromGramian(@case.Gramian);
        var first = new PcGradWeighting(seed: 5);
        var second = new PcGradWeighting(seed: 5);
        for (int step = 0; step < 3; step++)
        {
            first.Observe(input);
        }

        var state = new double[first.StateLength];
        first.SaveState(state);
        Assert.Equal([3.0], state);
        second.LoadState(state);
        var a = new double[@case.Count];
        var b = new double[@case.Count];
        first.ComputeWeights(input, a);
        second.ComputeWeights(input, b);
        Assert.Equal(a, b);
        Assert.Throws<ArgumentException>(() => second.LoadState([1.5]));
        Assert.Throws<ArgumentException>(() => second.LoadState([-1.0]));
        Assert.Throws<ArgumentException>(() => second.LoadState([1.0, 2.0]));
        Assert.Equal(3, second.Step);
    }

    [Fact]
    public void NonConflictingGradientsAreAdded()
    {
        var g = Matrix<double>.Build.DenseOfArray(new double[,] { { 2, 1, 0 }, { 1, 3, 0 }, { 0, 0, 1 } });
        var w = new double[3];
        new PcGradWeighting(seed: 0).ComputeWeights(WeightingInput.FromGramian(g), w);
        Assert.Equal([1.0, 1.0, 1.0], w);
    }
}
