using Xunit;

namespace Pama.Tests.Reference;

/// <summary>Checks the defining properties of Theorem 1's weights, derived from the statement alone.</summary>
internal static class WeightInvariants
{
    public static void AssertOptimal(double[] a, double value, IReadOnlyList<double> weights, string label)
    {
        int n = a.Length;
        Assert.Equal(n, weights.Count);
        double min = a.Min();
        double max = a.Max();

        double sum = 0.0;
        for (int i = 0; i < n; i++)
        {
            Assert.True(weights[i] >= 0.0 && double.IsFinite(weights[i]), $"{label}: weight {i} = {weights[i]:R}");
            sum += weights[i];
        }

        Assert.True(Math.Abs(sum - 1.0) <= 1e-12, $"{label}: weights sum to {sum:R}");

        // Σ cᵢ aᵢ = s*, evaluated after an exact power-of-two rescaling so that neither 1e308 overflows
        // nor subnormal products lose all their digits.
        double maxAbs = a.Max(Math.Abs);
        int exponent = maxAbs == 0.0 ? 0 : Math.ILogB(maxAbs);
        double combination = 0.0;
        for (int i = 0; i < n; i++)
        {
            combination += weights[i] * Math.ScaleB(a[i], -exponent);
        }

        double scaledValue = Math.ScaleB(value, -exponent);
        Assert.True(Math.Abs(combination - scaledValue) <= 1e-12, $"{label}: Σ c a = {combination:R}·2^{exponent}, s* = {value:R}");

        bool hasZero = a.Any(x => x == 0.0);
        Func<double, bool> support = min > 0.0 ? x => x == min
            : max < 0.0 ? x => x == max
            : hasZero ? x => x == 0.0
            : x => x == min || x == max;
        for (int i = 0; i < n; i++)
        {
            if (!support(a[i]))
            {
                Assert.True(weights[i] == 0.0, $"{label}: weight {i} = {weights[i]:R} on a_{i} = {a[i]:R} outside the optimal support");
            }
        }

        // Ties split evenly: every entry of the same value carries exactly the same weight.
        for (int i = 0; i < n; i++)
        {
            for (int j = i + 1; j < n; j++)
            {
                if (a[i] == a[j])
                {
                    Assert.True(weights[i] == weights[j], $"{label}: tied entries {i}, {j} weighted {weights[i]:R} and {weights[j]:R}");
                }
            }
        }

        if (min < 0.0 && max > 0.0 && !hasZero)
        {
            // Two-point mix: total mass on the argmin is a_max / (a_max − a_min), computed here directly
            // after rescaling both extremes by the same power of two.
            int e = Math.ILogB(Math.Max(-min, max));
            double scaledMin = Math.ScaleB(min, -e);
            double scaledMax = Math.ScaleB(max, -e);
            double expectedMinMass = scaledMax / (scaledMax - scaledMin);
            double minMass = 0.0;
            for (int i = 0; i < n; i++)
            {
                if (a[i] == min)
                {
                    minMass += weights[i];
                }
            }

            Assert.True(Math.Abs(minMass - expectedMinMass) <= 1e-12, $"{label}: argmin mass {minMass:R}, expected {expectedMinMass:R}");
        }
    }
}
