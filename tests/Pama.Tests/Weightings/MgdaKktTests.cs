using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>MGDA's KKT conditions on the aggregator test cases: every active ∇Lᵢ·d equals ‖d‖², every inactive one is at least that.</summary>
public sealed class MgdaKktTests
{
    [Fact]
    public void MinNormPointMeetsItsKktConditions()
    {
        foreach (var @case in GramianCases.Generate(seed: 90, perCount: 40))
        {
            int n = @case.Count;
            var c = new double[n];
            double value = new MgdaWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), c);
            double scale = Enumerable.Range(0, n).Max(i => @case.Gramian[i, i]);
            Assert.Equal(1.0, c.Sum(), 12);
            var d = @case.Combine(c);
            double norm = d.Sum(x => x * x);
            Assert.True(Math.Abs(norm - value) <= 1e-10 * scale, @case.Label);
            for (int i = 0; i < n; i++)
            {
                Assert.True(c[i] >= 0.0, $"{@case.Label}: c[{i}] = {c[i]:R}");
                double dot = @case.Gradients[i].Zip(d, (a, b) => a * b).Sum();
                Assert.True(dot >= norm - (1e-9 * scale), $"{@case.Label}: ∇L{i}·d = {dot:R} < ‖d‖² = {norm:R}");
                if (c[i] > 1e-6)
                {
                    Assert.True(Math.Abs(dot - norm) <= 1e-9 * scale, $"{@case.Label}: active ∇L{i}·d = {dot:R} ≠ ‖d‖² = {norm:R}");
                }
            }
        }
    }
}
