using Pama.Statistics;
using Xunit;

namespace Pama.Tests.Statistics;

/// <summary>The Noon statistic equals a naive float64 loop over the definition.</summary>
public sealed class NoonStatisticTests
{
    /// <summary>Direct transcription of aᵢ = Σₜ mₜ·max(A,0)·1[u ≤ 1+ε] / Σₜ mₜ.</summary>
    private static double Naive(double[] advantages, double[] ratios, double[] mask, double epsilon)
    {
        double numerator = 0.0;
        double denominator = 0.0;
        for (int t = 0; t < advantages.Length; t++)
        {
            double clipped = Math.Max(advantages[t], 0.0);
            double indicator = ratios[t] <= 1.0 + epsilon ? 1.0 : 0.0;
            numerator += mask[t] * clipped * indicator;
            denominator += mask[t];
        }

        return numerator / denominator;
    }

    private static (double[] Advantages, double[] Ratios, double[] Mask) RandomTokens(Random random, int tokens, int n)
    {
        var advantages = new double[tokens * n];
        var ratios = new double[tokens];
        var mask = new double[tokens];
        for (int t = 0; t < tokens; t++)
        {
            ratios[t] = random.Next(5) == 0 ? 1.2 : Math.Exp((random.NextDouble() - 0.5) * 0.8);
            mask[t] = random.Next(4) == 0 ? 0.0 : 1.0;
            for (int i = 0; i < n; i++)
            {
                advantages[(t * n) + i] = random.Next(6) == 0 ? 0.0 : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4));
            }
        }

        mask[random.Next(tokens)] = 1.0;
        return (advantages, ratios, mask);
    }

    [Fact]
    public void SingleObjectiveMatchesNaiveLoop()
    {
        var random = new Random(21);
        for (int k = 0; k < 2_000; k++)
        {
            int tokens = random.Next(1, 200);
            var (advantages, ratios, mask) = RandomTokens(random, tokens, 1);
            double epsilon = random.Next(3) == 0 ? 0.2 : random.NextDouble() * 0.5;

            double actual = NoonStatistic.Compute(advantages, ratios, mask, epsilon);

            double expected = Naive(advantages, ratios, mask, epsilon);
            Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Max(Math.Abs(expected), 1e-300), $"case {k}: {actual:R} vs {expected:R}");
        }
    }

    [Fact]
    public void MultiObjectiveMatchesNaiveLoopPerObjective()
    {
        var random = new Random(22);
        for (int k = 0; k < 500; k++)
        {
            int tokens = random.Next(1, 120);
            int n = random.Next(1, 7);
            var (advantages, ratios, mask) = RandomTokens(random, tokens, n);
            var statistics = new double[n];

            NoonStatistic.Compute(advantages, ratios, mask, 0.2, statistics);

            for (int i = 0; i < n; i++)
            {
                double[] column = Enumerable.Range(0, tokens).Select(t => advantages[(t * n) + i]).ToArray();
                double expected = Naive(column, ratios, mask, 0.2);
                Assert.True(Math.Abs(statistics[i] - expected) <= 1e-12 * Math.Max(Math.Abs(expected), 1e-300), $"case {k}, objective {i}");
                Assert.Equal(NoonStatistic.Compute(column, ratios, mask, 0.2), statistics[i], 12);
            }
        }
    }

    [Fact]
    public void HandComputedExample()
    {
        // Tokens: (A, u, m) = (2, 1.0, 1), (-3, 0.9, 1), (4, 1.5, 1), (8, 1.0, 0), (1, 1.2, 1) with ε = 0.2.
        // Contributions: 2, 0 (negative), 0 (clipped), masked, 1 (u = 1.2 ≤ 1.2 counts). Mean over 4 = 0.75.
        double a = NoonStatistic.Compute([2, -3, 4, 8, 1], [1.0, 0.9, 1.5, 1.0, 1.2], [1, 1, 1, 0, 1], 0.2);
        Assert.Equal(0.75, a, 15);
        Assert.Equal(2.0, NoonStatistic.Contribution(2.0, 1.2, 0.2));
        Assert.Equal(0.0, NoonStatistic.Contribution(2.0, 1.3, 0.2));
        Assert.Equal(0.0, NoonStatistic.Contribution(-2.0, 1.0, 0.2));
    }

    [Fact]
    public void InvalidInputsNameTheToken()
    {
        double[] ok = [1.0, 1.0, 1.0];
        Assert.Equal("ratios", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, [1.0, 1.0], ok, 0.2)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, ok, [1.0], 0.2)).ParamName);

        var nan = Assert.Throws<ArgumentException>(() => NoonStatistic.Compute([1.0, double.NaN, 1.0], ok, ok, 0.2));
        Assert.Equal("advantages", nan.ParamName);
        Assert.StartsWith("Advantage at token 1 is NaN.", nan.Message);

        var ratio = Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, [1.0, 1.0, double.PositiveInfinity], ok, 0.2));
        Assert.Equal("ratios", ratio.ParamName);
        Assert.StartsWith("Ratio at token 2 is positive infinity.", ratio.Message);
        Assert.StartsWith("Ratio at token 0 is negative", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, [-1.0, 1.0, 1.0], ok, 0.2)).Message);

        var mask = Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, ok, [1.0, -1.0, 1.0], 0.2));
        Assert.Equal("mask", mask.ParamName);
        Assert.StartsWith("Mask entry at token 1 is negative", mask.Message);

        // A NaN in a masked-out position is still reported.
        Assert.StartsWith("Advantage at token 2 is NaN.", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute([1.0, 1.0, double.NaN], ok, [1.0, 1.0, 0.0], 0.2)).Message);

        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(ok, ok, [0.0, 0.0, 0.0], 0.2)).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute([], [], [], 0.2)).ParamName);

        foreach (double epsilon in new[] { -0.1, double.NaN, double.PositiveInfinity })
        {
            Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => NoonStatistic.Compute(ok, ok, ok, epsilon)).ParamName);
        }
    }

    [Fact]
    public void MultiObjectiveInvalidInputsNameTokenAndObjective()
    {
        double[] ok = [1.0, 1.0];
        var error = Assert.Throws<ArgumentException>(() => NoonStatistic.Compute([1, 2, 3, 4, double.NegativeInfinity, 6], ok.Append(1.0).ToArray(), [1.0, 1.0, 1.0], 0.2, new double[2]));
        Assert.Equal("advantages", error.ParamName);
        Assert.StartsWith("Advantage of objective 0 at token 2 is negative infinity.", error.Message);

        Assert.Equal("advantages", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(new double[5], ok, ok, 0.2, new double[2])).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(new double[4], ok, [1.0], 0.2, new double[2])).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute([], ok, ok, 0.2, [])).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(() => NoonStatistic.Compute(new double[4], ok, [0.0, 0.0], 0.2, new double[2])).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => NoonStatistic.Compute(new double[4], ok, ok, -1, new double[2])).ParamName);
    }
}
