using Pama.TorchSharp.Generation;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Generation;

public sealed class LogitsFiltersTests
{
    // Probabilities 0.05, 0.5, 0.1, 0.15, 0.2 (deliberately not sorted).
    private static readonly double[] Probabilities = [0.05, 0.5, 0.1, 0.15, 0.2];

    private static bool[] Kept(Tensor filtered) => filtered.data<double>().ToArray().Select(double.IsFinite).ToArray();

    [Theory]
    [InlineData(0.4, new[] { false, true, false, false, false })]   // 0.5 alone reaches 0.4
    [InlineData(0.6, new[] { false, true, false, false, true })]    // 0.5 + 0.2
    [InlineData(0.8, new[] { false, true, false, true, true })]     // 0.5 + 0.2 + 0.15 = 0.85
    [InlineData(0.93, new[] { false, true, true, true, true })]     // ... + 0.1 = 0.95
    [InlineData(1.0, new[] { true, true, true, true, true })]
    public void TopPKeepsTheSmallestMostLikelySetReachingP(double p, bool[] expected)
    {
        using var logits = tensor(Probabilities.Select(x => Math.Log(x)).ToArray(), [1, 5]);
        using Tensor filtered = LogitsFilters.TopP(logits, p);
        Assert.Equal(expected, Kept(filtered));
        // Kept logits are unchanged.
        double[] values = filtered.data<double>().ToArray();
        for (int i = 0; i < 5; i++)
            if (expected[i]) Assert.Equal(Math.Log(Probabilities[i]), values[i]);
    }

    [Fact]
    public void TopKKeepsTheKLargestPerRow()
    {
        using var logits = tensor(new double[] { 0.1, 3, -1, 2, 0, /* row 2 */ 5, 4, 3, 2, 1 }, [2, 5]);
        using Tensor filtered = LogitsFilters.TopK(logits, 2);
        bool[] kept = Kept(filtered);
        Assert.Equal(new[] { false, true, false, true, false, true, true, false, false, false }, kept);
    }
}
