using Pama.Tests.Reference;
using Xunit;

namespace Pama.Tests;

/// <summary>The float32 overload equals the float64 solver on widened inputs, rounded once.</summary>
public sealed class PamaSolverSingleTests
{
    [Fact]
    public void FloatOverloadEqualsRoundedDoubleSolution()
    {
        var generator = new StatisticsGenerator(seed: 51);
        for (int k = 0; k < 10_000; k++)
        {
            // Round to float32 (overflowing values saturate to ±float.MaxValue so they stay finite).
            float[] a = generator.Next().Select(x => (float)Math.Clamp(x, float.MinValue, float.MaxValue)).ToArray();
            double[] widened = a.Select(x => (double)x).ToArray();
            var floatWeights = new float[a.Length];
            var doubleWeights = new double[a.Length];

            float value = PamaSolver.Solve(a, floatWeights);
            double expected = PamaSolver.Solve(widened, doubleWeights);

            Assert.Equal((float)expected, value);
            Assert.Equal((float)BruteForcePama.OptimalValue(widened), value);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits((float)doubleWeights[i]) == BitConverter.SingleToInt32Bits(floatWeights[i]),
                    $"case {k}, objective {i}: {floatWeights[i]:R} vs {(float)doubleWeights[i]:R}");
            }

            Assert.True(Math.Abs(floatWeights.Sum(w => (double)w) - 1.0) <= 1e-6 * Math.Max(1, a.Length / 8), $"case {k}");
        }
    }

    [Fact]
    public void FloatOverloadValidatesLikeTheDoubleOne()
    {
        var error = Assert.Throws<ArgumentException>(() => PamaSolver.Solve([1f, 2f, float.NaN], new float[3]));
        Assert.Equal("statistics", error.ParamName);
        Assert.StartsWith("Statistic of objective 2 is NaN.", error.Message);
        Assert.StartsWith("Statistic of objective 0 is negative infinity.", Assert.Throws<ArgumentException>(() => PamaSolver.Solve([float.NegativeInfinity], new float[1])).Message);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => PamaSolver.Solve(ReadOnlySpan<float>.Empty, Span<float>.Empty)).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => PamaSolver.Solve(new float[3], new float[2])).ParamName);
    }

    [Fact]
    public void FloatOverloadAllocatesZeroBytes()
    {
        float[] a = [0.5f, -0.25f, 0.5f, 2f, -0.25f];
        var weights = new float[a.Length];
        float value = PamaSolver.Solve(a, weights);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 1_000; repeat++)
        {
            value += PamaSolver.Solve(a, weights);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0f, value);

        // −0.25 (twice) against 2: c_min = 2 / 2.25 = 8/9 split over two entries, c_max = 1/9.
        Assert.Equal([0f, 4f / 9f, 0f, 1f / 9f, 4f / 9f], weights);
    }
}
