using System.Text.Json;
using Pama.FineTune.Reporting;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class ReportingTests
{
    private static HeldOutResult Run(string method, int seed, double sentimentBefore, double lengthBefore, double sentimentAfter, double lengthAfter, double seconds = 1.0) =>
        new(method, seed,
            new Dictionary<string, double> { ["sentiment"] = sentimentBefore, ["length"] = lengthBefore },
            new Dictionary<string, double> { ["sentiment"] = sentimentAfter, ["length"] = lengthAfter },
            seconds);

    [Fact]
    public void SummaryJsonHasExactlyTheAgreedShape()
    {
        HeldOutResult[] results =
        [
            Run("pama", 1, 0.0, 1.0, 1.0, 1.2),
            Run("pama", 2, 0.2, 1.1, 2.0, 1.4),
            Run("morlhf", 1, 0.0, 1.0, 0.5, 1.0),
            Run("morlhf", 2, 0.2, 1.1, 0.5, 1.0),
        ];
        string json = RunSummary.From(["sentiment", "length"], [1, 2], 30, results).ToJson();

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        // The original four keys first, in their order; then what the Pareto report added.
        Assert.Equal(["objectives", "seeds", "steps", "methods", "before", "runs", "significance", "front"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sentiment", "length"], root.GetProperty("objectives").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1, 2], root.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(30, root.GetProperty("steps").GetInt32());
        JsonElement methods = root.GetProperty("methods");
        Assert.Equal(["pama", "morlhf"], methods.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sentiment", "length", "hypervolume", "improvedAll", "secondsPerStep"], methods.GetProperty("pama").EnumerateObject().Select(p => p.Name));
        JsonElement pamaSentiment = methods.GetProperty("pama").GetProperty("sentiment");
        Assert.Equal(["mean", "std"], pamaSentiment.EnumerateObject().Select(p => p.Name));
        // Mean of 1 and 2 is 1.5; sample std is sqrt(((1-1.5)^2 + (2-1.5)^2) / 1) = sqrt(0.5).
        Assert.Equal(1.5, pamaSentiment.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(0.5), pamaSentiment.GetProperty("std").GetDouble(), 12);
        Assert.Equal(0.0, methods.GetProperty("morlhf").GetProperty("length").GetProperty("std").GetDouble());
        // MORLHF seed 1 kept length at 1.0 and seed 2 lost it (1.1 -> 1.0): neither improved every objective.
        Assert.Equal(0.0, methods.GetProperty("morlhf").GetProperty("improvedAll").GetDouble());
        Assert.Equal(1.0, methods.GetProperty("pama").GetProperty("improvedAll").GetDouble());

        // Before: each seed once, mean of 0.0 and 0.2.
        Assert.Equal(0.1, root.GetProperty("before").GetProperty("sentiment").GetProperty("mean").GetDouble(), 12);
        JsonElement firstRun = root.GetProperty("runs")[0];
        Assert.Equal(["method", "seed", "before", "after", "seconds"], firstRun.EnumerateObject().Select(p => p.Name));
        Assert.Equal("pama", firstRun.GetProperty("method").GetString());
        Assert.Equal(1.2, firstRun.GetProperty("after").GetProperty("length").GetDouble(), 12);
        Assert.Equal(1.0, firstRun.GetProperty("before").GetProperty("length").GetDouble(), 12);
        Assert.Equal(4, root.GetProperty("runs").GetArrayLength());
    }

    [Fact]
    public void HypervolumesEqualTheProductFormulaRecomputedFromTheRunsEntries()
    {
        HeldOutResult[] results =
        [
            Run("pama", 1, 0.03, 0.82, 1.66, 1.39),
            Run("pama", 2, -0.10, 0.80, 1.70, 1.31),
            Run("pama", 3, 0.15, 0.85, 1.40, 0.70), // length got worse: zero volume
            Run("morlhf", 1, 0.03, 0.82, 2.73, 0.83),
            Run("morlhf", 2, -0.10, 0.80, 2.50, 0.95),
            Run("morlhf", 3, 0.15, 0.85, 2.90, 0.85), // length unchanged: zero volume
        ];
        string json = RunSummary.From(["sentiment", "length"], [1, 2, 3], 40, results).ToJson();

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        string[] objectives = [.. root.GetProperty("objectives").EnumerateArray().Select(e => e.GetString()!)];
        var volumes = new Dictionary<string, List<double>>();
        foreach (JsonElement run in root.GetProperty("runs").EnumerateArray())
        {
            double volume = 1.0;
            foreach (string objective in objectives)
            {
                double gain = run.GetProperty("after").GetProperty(objective).GetDouble() - run.GetProperty("before").GetProperty(objective).GetDouble();
                volume *= gain > 0 ? gain : 0.0;
            }

            string method = run.GetProperty("method").GetString()!;
            if (!volumes.TryGetValue(method, out List<double>? list)) volumes[method] = list = [];
            list.Add(volume);
        }

        Assert.Equal(2, volumes.Count);
        foreach ((string method, List<double> list) in volumes)
        {
            double mean = list.Sum() / list.Count;
            double std = Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1));
            JsonElement hypervolume = root.GetProperty("methods").GetProperty(method).GetProperty("hypervolume");
            Assert.Equal(mean, hypervolume.GetProperty("mean").GetDouble(), 12);
            Assert.Equal(std, hypervolume.GetProperty("std").GetDouble(), 12);
        }

        // And by hand for one run: (1.66 - 0.03) * (1.39 - 0.82).
        Assert.Equal(1.63 * 0.57, volumes["pama"][0], 12);
        Assert.Equal(0.0, volumes["pama"][2]);
        Assert.Equal(0.0, volumes["morlhf"][2]);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(3.0)]
    public void WelchTestMatchesTheClosedFormOfStudentTWithTwoDegreesOfFreedom(double shift)
    {
        // Two samples of two values with equal spread give df = (2v)^2 / (v^2 + v^2) = 2, where the two-sided
        // p-value of Student's t has the closed form 1 - |t| / sqrt(2 + t^2).
        double[] first = [shift - 1, shift + 1], second = [-1, 1];
        double t = shift / Math.Sqrt(2.0 / 2 + 2.0 / 2);
        WelchTest test = WelchTest.Of(first, second);
        Assert.Equal(shift, test.Difference, 12);
        Assert.Equal(t, test.T, 12);
        Assert.Equal(2.0, test.DegreesOfFreedom, 12);
        Assert.Equal(1 - Math.Abs(t) / Math.Sqrt(2 + t * t), test.P, 10);
    }

    [Fact]
    public void WelchTestWithoutSpreadIsExactAndSignificanceComparesPamaWithEachBaseline()
    {
        Assert.Equal(1.0, WelchTest.Of([1, 1], [1, 1]).P);
        Assert.Equal(0.0, WelchTest.Of([2, 2], [1, 1]).P);
        Assert.Throws<ArgumentException>(() => WelchTest.Of([1], [1, 2]));

        HeldOutResult[] results =
        [
            Run("pama", 1, 0, 0, 1.0, 1.0), Run("pama", 2, 0, 0, 1.2, 1.1),
            Run("morlhf", 1, 0, 0, 2.0, 0.5), Run("morlhf", 2, 0, 0, 2.2, 0.6),
            Run("mgda-ub", 1, 0, 0, 1.1, 1.0), Run("mgda-ub", 2, 0, 0, 1.1, 1.2),
        ];
        RunSummary summary = RunSummary.From(["sentiment", "length"], [1, 2], 10, results);
        Assert.Equal(
            [("morlhf", "sentiment"), ("morlhf", "length"), ("morlhf", "hypervolume"), ("mgda-ub", "sentiment"), ("mgda-ub", "length"), ("mgda-ub", "hypervolume")],
            summary.Significance.Select(c => (c.Baseline, c.Metric)));
        Assert.All(summary.Significance, c => Assert.Equal("pama", c.Method));
        string markdown = summary.ToMarkdown();
        Assert.Contains("| PAMA vs | metric | PAMA − baseline | t | df | p | reading |", markdown);
        Assert.Contains("| hypervolume |", markdown);
        Assert.Contains("Welch's t-test", markdown);
    }

    [Fact]
    public void ParetoAndWeightPicturesAreWrittenAsPng()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"plots-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            HeldOutResult[] runs = [Run("pama", 1, 0, 0.8, 1.6, 1.4), Run("morlhf", 1, 0, 0.8, 2.7, 0.8)];
            MetricRow[] rows =
            [
                new(1, "pama", 1, "sentiment", 0.1, 0.2, 0.01, 0.0), new(1, "pama", 1, "length", 0.8, 0.8, 0.01, 0.0),
                new(2, "pama", 1, "sentiment", 0.2, 0.1, 0.01, 0.0), new(2, "pama", 1, "length", 0.9, 0.9, 0.01, 0.0),
                new(1, "morlhf", 1, "sentiment", 0.1, 0.5, double.NaN, 0.0), new(1, "morlhf", 1, "length", 0.8, 0.5, double.NaN, 0.0),
            ];
            string pareto = Path.Combine(directory, "pareto.png"), weights = Path.Combine(directory, "weights.png");
            ParetoPlot.Save(pareto, ["sentiment", "length"], ["pama", "morlhf"], runs);
            WeightPlot.Save(weights, ["sentiment", "length"], ["pama", "morlhf"], rows);
            byte[] signature = [0x89, 0x50, 0x4E, 0x47];
            Assert.Equal(signature, File.ReadAllBytes(pareto)[..4]);
            Assert.Equal(signature, File.ReadAllBytes(weights)[..4]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void SampleStandardDeviationUsesNMinusOne()
    {
        // Sum of squared deviations from the mean 5 is 32; 32 / 7 with n - 1 = 7.
        MeanStd value = MeanStd.Of([2, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Equal(5.0, value.Mean, 12);
        Assert.Equal(Math.Sqrt(32.0 / 7.0), value.Std, 12);
    }

    [Fact]
    public void MarkdownTableHasThePapersColumnOrder()
    {
        HeldOutResult[] results = [Run("pama", 1, 0, 0, 2.0, 1.5), Run("mgda-ub", 1, 0, 0, 1.0, 1.0), Run("morlhf", 1, 0, 0, 1.5, 0.5)];
        string[] lines = RunSummary.From(["sentiment", "length"], [1], 10, results).ToMarkdown().Split('\n');
        Assert.Contains("| reward | MGDA-UB | MORLHF | PAMA |", lines);
        // One seed: its values, with no spread to report.
        Assert.Contains("| sentiment | 1.0000 | 1.5000 | 2.0000 |", lines);
    }

    [Fact]
    public void MetricsCsvRoundTripsIncludingMissingSStar()
    {
        MetricRow[] rows =
        [
            new(1, "pama", 1, "sentiment", 0.1234567890123, 1.0, 0.25, 0.001),
            new(1, "morlhf", 2, "length", -1.5, 0.5, double.NaN, 3.25),
        ];
        string path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.csv");
        try
        {
            MetricsCsv.Write(path, rows);
            Assert.Equal(MetricsCsv.Header, File.ReadLines(path).First());
            Assert.Equal(rows, MetricsCsv.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
