using Pama.Statistics;
using Xunit;

namespace Pama.Tests.Statistics;

/// <summary>Accumulators merged in random splits and orders agree with a two-pass float64 reference.</summary>
public sealed class ObjectiveAccumulatorTests
{
    private static (double Mean, double Variance) TwoPass(double[] values)
    {
        double mean = values.Sum() / values.Length;
        double m2 = values.Sum(x => (x - mean) * (x - mean));
        return (mean, m2 / values.Length);
    }

    private static void AssertClose(double expected, double actual, double relative, string label) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(Math.Abs(expected), 1e-300), $"{label}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void RandomSplitsMergedInRandomOrderMatchTwoPassReference()
    {
        var random = new Random(31);
        for (int k = 0; k < 400; k++)
        {
            int length = random.Next(2, 600);
            double offset = random.Next(3) == 0 ? 1e6 : 0.0;
            double[] values = Enumerable.Range(0, length).Select(_ => offset + ((random.NextDouble() - 0.3) * 10.0)).ToArray();
            var (mean, variance) = TwoPass(values);

            // Random contiguous chunks, each fed either by Add or AddRange, then merged in a random order.
            var parts = new List<ObjectiveAccumulator>();
            int start = 0;
            while (start < length)
            {
                int size = Math.Min(length - start, random.Next(1, 50));
                var part = new ObjectiveAccumulator();
                if (random.Next(2) == 0)
                {
                    part.AddRange(values.AsSpan(start, size));
                }
                else
                {
                    foreach (double x in values.AsSpan(start, size))
                    {
                        part.Add(x);
                    }
                }

                parts.Add(part);
                start += size;
            }

            while (parts.Count > 1)
            {
                int i = random.Next(parts.Count);
                int j = random.Next(parts.Count - 1);
                j += j >= i ? 1 : 0;
                parts[i].Merge(parts[j]);
                parts.RemoveAt(j);
            }

            var total = parts[0];
            Assert.Equal(length, total.Count);
            AssertClose(mean, total.Mean, 1e-12, $"case {k} mean");
            AssertClose(values.Sum(), total.Sum, 1e-12, $"case {k} sum");
            AssertClose(variance, total.Variance, 1e-9, $"case {k} variance");
            AssertClose(variance * length / (length - 1), total.SampleVariance, 1e-9, $"case {k} sample variance");
        }
    }

    [Fact]
    public void MergeOrderDoesNotChangeTheMean()
    {
        var random = new Random(32);
        for (int k = 0; k < 300; k++)
        {
            var parts = Enumerable.Range(0, random.Next(2, 8)).Select(_ =>
            {
                var part = new ObjectiveAccumulator();
                part.AddRange(Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.NextDouble() * 100).ToArray());
                return part;
            }).ToArray();

            var forward = new ObjectiveAccumulator();
            foreach (var part in parts)
            {
                forward.Merge(part);
            }

            var backward = new ObjectiveAccumulator();
            foreach (var part in parts.Reverse())
            {
                backward.Merge(part);
            }

            AssertClose(forward.Mean, backward.Mean, 1e-12, $"case {k}");
            AssertClose(forward.Variance, backward.Variance, 1e-10, $"case {k}");
        }
    }

    [Fact]
    public void SmallHandExample()
    {
        var accumulator = new ObjectiveAccumulator();
        accumulator.AddRange([2.0, 4.0, 4.0, 4.0]);
        accumulator.Add(5.0);
        var other = new ObjectiveAccumulator();
        other.AddRange([5.0, 7.0, 9.0]);
        accumulator.Merge(other);

        // Values 2,4,4,4,5,5,7,9: mean 5, squared deviations 9+1+1+1+0+0+4+16 = 32.
        Assert.Equal(8, accumulator.Count);
        Assert.Equal(40.0, accumulator.Sum);
        Assert.Equal(5.0, accumulator.Mean, 14);
        Assert.Equal(4.0, accumulator.Variance, 14);
        Assert.Equal(32.0 / 7.0, accumulator.SampleVariance, 14);
        Assert.Equal(3, other.Count);

        accumulator.Merge(accumulator);
        Assert.Equal(16, accumulator.Count);
        Assert.Equal(5.0, accumulator.Mean, 14);
        Assert.Equal(4.0, accumulator.Variance, 14);

        accumulator.Reset();
        Assert.Equal(0, accumulator.Count);
        Assert.Equal(0.0, accumulator.Sum);
    }

    [Fact]
    public void EmptyAndInvalidUsesAreRejected()
    {
        var accumulator = new ObjectiveAccumulator();
        Assert.Throws<InvalidOperationException>(() => accumulator.Mean);
        Assert.Throws<InvalidOperationException>(() => accumulator.Variance);
        accumulator.Add(1.0);
        Assert.Throws<InvalidOperationException>(() => accumulator.SampleVariance);
        Assert.Equal(0.0, accumulator.Variance);

        var add = Assert.Throws<ArgumentException>(() => accumulator.Add(double.NaN));
        Assert.Equal("value", add.ParamName);
        var range = Assert.Throws<ArgumentException>(() => accumulator.AddRange([1.0, 2.0, double.NegativeInfinity]));
        Assert.Equal("values", range.ParamName);
        Assert.StartsWith("Value at index 2 is negative infinity.", range.Message);
        Assert.Equal(1, accumulator.Count);
        Assert.Throws<ArgumentNullException>(() => accumulator.Merge(null!));
    }
}
