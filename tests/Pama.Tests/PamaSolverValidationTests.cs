using Xunit;

namespace Pama.Tests;

/// <summary>Every invalid input is rejected with a message that names the offending index.</summary>
public sealed class PamaSolverValidationTests
{
    public static TheoryData<double, string> NonFiniteValues => new()
    {
        { double.NaN, "NaN" },
        { double.PositiveInfinity, "positive infinity" },
        { double.NegativeInfinity, "negative infinity" },
    };

    [Fact]
    public void EmptyStatisticsAreRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => PamaSolver.Solve(ReadOnlySpan<double>.Empty, Span<double>.Empty));
        Assert.Equal("statistics", error.ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => PamaSolver.Solve(ReadOnlySpan<double>.Empty)).ParamName);
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => PamaSolver.OptimalValue(ReadOnlySpan<double>.Empty)).ParamName);
    }

    [Theory]
    [MemberData(nameof(NonFiniteValues))]
    public void NonFiniteStatisticIsNamedByObjectiveIndex(double bad, string description)
    {
        foreach (int n in new[] { 1, 4, 5, 20 })
        {
            for (int index = 0; index < n; index++)
            {
                var statistics = Enumerable.Range(0, n).Select(i => (double)(i - 2)).ToArray();
                statistics[index] = bad;

                var error = Assert.Throws<ArgumentException>(() => PamaSolver.Solve(statistics, new double[n]));
                Assert.Equal("statistics", error.ParamName);
                Assert.StartsWith($"Statistic of objective {index} is {description}.", error.Message);
                Assert.StartsWith($"Statistic of objective {index} is", Assert.Throws<ArgumentException>(() => PamaSolver.Solve(statistics)).Message);
                Assert.StartsWith($"Statistic of objective {index} is", Assert.Throws<ArgumentException>(() => PamaSolver.OptimalValue(statistics)).Message);
            }
        }
    }

    [Fact]
    public void FirstNonFiniteStatisticIsReported()
    {
        var error = Assert.Throws<ArgumentException>(() => PamaSolver.Solve([1.0, 2.0, double.PositiveInfinity, double.NaN], new double[4]));
        Assert.StartsWith("Statistic of objective 2 is positive infinity.", error.Message);
    }

    [Theory]
    [InlineData(3, 2)]
    [InlineData(3, 4)]
    [InlineData(1, 0)]
    public void WeightsOfTheWrongLengthAreRejected(int n, int weightCount)
    {
        var error = Assert.Throws<ArgumentException>(() => PamaSolver.Solve(new double[n], new double[weightCount]));
        Assert.Equal("weights", error.ParamName);
        Assert.Contains($"{n} objectives", error.Message);
    }

    [Theory]
    [MemberData(nameof(NonFiniteValues))]
    public void BatchNamesRowAndObjective(double bad, string description)
    {
        const int n = 3;
        const int rows = 10;
        foreach (int badRow in new[] { 0, 5, 7, 8, 9 })
        {
            var statistics = Enumerable.Range(0, rows * n).Select(i => (double)((i % 5) - 2)).ToArray();
            statistics[(badRow * n) + 2] = bad;

            var withWeights = Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(statistics, n, new double[rows], new double[rows * n]));
            var valuesOnly = Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(statistics, n, new double[rows]));

            foreach (var error in new[] { withWeights, valuesOnly })
            {
                Assert.Equal("statistics", error.ParamName);
                Assert.StartsWith($"Statistic of objective 2 in row {badRow} is {description}.", error.Message);
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void BatchRejectsNonPositiveObjectiveCount(int objectiveCount)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PamaSolver.SolveBatch(new double[4], objectiveCount, new double[1], new double[4]));
        Assert.Equal("objectiveCount", error.ParamName);
        Assert.Equal("objectiveCount", Assert.Throws<ArgumentOutOfRangeException>(() => PamaSolver.SolveBatch(new double[4], objectiveCount, new double[1])).ParamName);
    }

    [Fact]
    public void BatchRejectsMismatchedLengths()
    {
        Assert.Equal("statistics", Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(new double[10], 4, new double[2], new double[10])).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(new double[12], 4, new double[2], new double[12])).ParamName);
        Assert.Equal("values", Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(new double[12], 4, new double[4])).ParamName);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => PamaSolver.SolveBatch(new double[12], 4, new double[3], new double[11])).ParamName);
    }
}
