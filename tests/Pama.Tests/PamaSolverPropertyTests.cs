using FsCheck.Xunit;
using Pama.Tests.Reference;
using Xunit;

namespace Pama.Tests;

/// <summary>FsCheck properties of Theorem 1's solution that follow from the problem's symmetries.</summary>
public sealed class PamaSolverPropertyTests
{
    /// <summary>FsCheck draws any double; non-finite draws become 0 so the input is valid.</summary>
    private static double[] Finite(double[] values) =>
        values.Length == 0 ? [0.0] : values.Select(x => double.IsFinite(x) ? x : 0.0).ToArray();

    [Property(MaxTest = 3_000)]
    public void WeightsFollowAPermutationOfTheObjectives(double[] drawn, int seed)
    {
        double[] a = Finite(drawn);
        int[] order = Enumerable.Range(0, a.Length).ToArray();
        new Random(seed).Shuffle(order);
        double[] permuted = order.Select(i => a[i]).ToArray();

        var original = PamaSolver.Solve(a);
        var shuffled = PamaSolver.Solve(permuted);

        Assert.Equal(original.Value, shuffled.Value);
        for (int k = 0; k < order.Length; k++)
        {
            Assert.Equal(original.Weights[order[k]], shuffled.Weights[k]);
        }
    }

    [Property(MaxTest = 3_000)]
    public void PowerOfTwoScalingScalesTheValueAndKeepsTheWeights(double[] drawn, int exponentSeed)
    {
        // Scale by 2^k into a range where neither overflow nor underflow can occur, so scaling is exact.
        double[] a = Finite(drawn).Select(x => Math.Clamp(x, -1e100, 1e100)).Select(x => Math.Abs(x) < 1e-100 ? 0.0 : x).ToArray();
        int exponent = (exponentSeed % 200) - 100;
        double[] scaled = a.Select(x => Math.ScaleB(x, exponent)).ToArray();

        var original = PamaSolver.Solve(a);
        var result = PamaSolver.Solve(scaled);

        Assert.Equal(Math.ScaleB(original.Value, exponent), result.Value);
        Assert.Equal(original.Weights, result.Weights);
    }

    [Property(MaxTest = 3_000)]
    public void NegatingEveryStatisticNegatesTheValueAndKeepsTheWeights(double[] drawn)
    {
        double[] a = Finite(drawn);

        var original = PamaSolver.Solve(a);
        var negated = PamaSolver.Solve(a.Select(x => -x).ToArray());

        Assert.Equal(-original.Value, negated.Value);
        Assert.Equal(original.Weights, negated.Weights);
    }

    [Property(MaxTest = 3_000)]
    public void ArbitraryInputsSatisfyTheInvariants(double[] drawn)
    {
        double[] a = Finite(drawn);
        var solution = PamaSolver.Solve(a);
        Assert.Equal(BruteForcePama.OptimalValue(a), solution.Value);
        WeightInvariants.AssertOptimal(a, solution.Value, solution.Weights, "FsCheck");
    }
}
