using System.Text.Json;
using Pama.FineTune.Reporting;
using Xunit;

namespace Pama.TorchSharp.Tests.Sample;

public sealed class ReportingTests
{
    [Fact]
    public void SummaryJsonHasExactlyTheAgreedShape()
    {
        HeldOutResult[] results =
        [
            new("pama", 1, new Dictionary<string, double> { ["sentiment"] = 1.0, ["length"] = 1.2 }),
            new("pama", 2, new Dictionary<string, double> { ["sentiment"] = 2.0, ["length"] = 1.4 }),
            new("morlhf", 1, new Dictionary<string, double> { ["sentiment"] = 0.5, ["length"] = 1.0 }),
            new("morlhf", 2, new Dictionary<string, double> { ["sentiment"] = 0.5, ["length"] = 1.0 }),
        ];
        string json = RunSummary.From(["sentiment", "length"], [1, 2], 30, results).ToJson();

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal(["objectives", "seeds", "steps", "methods"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sentiment", "length"], root.GetProperty("objectives").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1, 2], root.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(30, root.GetProperty("steps").GetInt32());
        JsonElement methods = root.GetProperty("methods");
        Assert.Equal(["pama", "morlhf"], methods.EnumerateObject().Select(p => p.Name));
        JsonElement pamaSentiment = methods.GetProperty("pama").GetProperty("sentiment");
        Assert.Equal(["mean", "std"], pamaSentiment.EnumerateObject().Select(p => p.Name));
        // Mean of 1 and 2 is 1.5; sample std is sqrt(((1-1.5)^2 + (2-1.5)^2) / 1) = sqrt(0.5).
        Assert.Equal(1.5, pamaSentiment.GetProperty("mean").GetDouble(), 12);
        Assert.Equal(Math.Sqrt(0.5), pamaSentiment.GetProperty("std").GetDouble(), 12);
        Assert.Equal(0.0, methods.GetProperty("morlhf").GetProperty("length").GetProperty("std").GetDouble());
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
        HeldOutResult[] results =
        [
            new("pama", 1, new Dictionary<string, double> { ["sentiment"] = 2.0, ["length"] = 1.5 }),
            new("mgda-ub", 1, new Dictionary<string, double> { ["sentiment"] = 1.0, ["length"] = 1.0 }),
            new("morlhf", 1, new Dictionary<string, double> { ["sentiment"] = 1.5, ["length"] = 0.5 }),
        ];
        string[] lines = RunSummary.From(["sentiment", "length"], [1], 10, results).ToMarkdown().Split('\n');
        Assert.Contains("| reward | MGDA-UB | MORLHF | PAMA |", lines);
        Assert.Contains("| sentiment | 1.0000 ± 0.0000 | 1.5000 ± 0.0000 | 2.0000 ± 0.0000 |", lines);
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
