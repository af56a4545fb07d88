using Pama.Aggregation;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>The aggregators' toy demo: its analytic gradients against finite differences, and a short run that writes the figure.</summary>
public sealed class AggregationDemoTests
{
    [Theory]
    [InlineData(-8.5, 7.5)]
    [InlineData(-8.5, -5.0)]
    [InlineData(9.0, 9.0)]
    [InlineData(0.3, -8.3552)]
    [InlineData(2.0, 0.7)]
    [InlineData(-4.0, -1.5)]
    public void GradientsMatchCentralDifferences(double x1, double x2)
    {
        var g1 = new double[2];
        var g2 = new double[2];
        ToyProblem.Evaluate(x1, x2, g1, g2);
        const double h = 1e-6;
        double[] F(double a, double b)
        {
            var (f1, f2) = ToyProblem.Evaluate(a, b, new double[2], new double[2]);
            return [f1, f2];
        }

        double[] d1 = [.. F(x1 + h, x2).Zip(F(x1 - h, x2), (p, m) => (p - m) / (2 * h))];
        double[] d2 = [.. F(x1, x2 + h).Zip(F(x1, x2 - h), (p, m) => (p - m) / (2 * h))];
        Assert.Equal(d1[0], g1[0], 1e-6);
        Assert.Equal(d2[0], g1[1], 1e-6);
        Assert.Equal(d1[1], g2[0], 1e-6);
        Assert.Equal(d2[1], g2[1], 1e-6);
    }

    [Fact]
    public void ObjectivesMatchTheAuthorsFormulas()
    {
        // At (0, −8.3552), the middle of the Pareto set: c₁ = 0, c₂ = tanh(4.1776), both objectives
        // ((±7)² + 0.1·0.3552²)/10 − 20 times c₂.
        var (f1, f2) = ToyProblem.Evaluate(0.0, ToyProblem.ParetoX2, new double[2], new double[2]);
        double expected = Math.Tanh(4.1776) * ((((49.0 + (0.1 * 0.3552 * 0.3552)) / 10.0) - 20.0));
        Assert.Equal(expected, f1, 12);
        Assert.Equal(expected, f2, 12);
    }

    [Fact]
    public void ShortRunWritesTheFigureAndOneRowPerPath()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"pama-aggregation-{Guid.NewGuid():N}");
        try
        {
            var rows = Demo.Run(directory, steps: 200, learningRate: 0.01, seed: 1);
            Assert.Equal(Methods.Names.Count * ToyProblem.Starts.Count, rows.Count);
            Assert.All(rows, r => Assert.True(double.IsFinite(r.End.X1) && double.IsFinite(r.End.X2) && double.IsFinite(r.F1) && double.IsFinite(r.F2), r.Method));

            // Every method moved every start (200 Adam steps of 0.01 move about 2 in each coordinate).
            Assert.All(rows, r => Assert.True(Math.Abs(r.End.X1 - r.Start.X1) + Math.Abs(r.End.X2 - r.Start.X2) > 0.5, $"{r.Method} from {r.Start}"));

            byte[] png = File.ReadAllBytes(Path.Combine(directory, "toy-paths.png"));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);
            Assert.Equal(rows.Count + 1, File.ReadAllLines(Path.Combine(directory, "toy-paths.csv")).Length);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
