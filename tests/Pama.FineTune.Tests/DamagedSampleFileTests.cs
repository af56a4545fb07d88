using Pama.FineTune.Corpus;
using Pama.FineTune.Experiment;
using Pama.FineTune.Reporting;
using Pama.FineTune.Text;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Models;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>
/// The sample's own JSON readers (JSON Lines prompts, run records, the compact vocabulary) refuse an escaped lone UTF-16
/// surrogate (<c>"\ud800"</c>, valid JSON but no .NET string), and <c>metrics.csv</c> a number too large for its field, with an
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
public sealed class DamagedSampleFileTests
{
    [Fact]
    public void ALoneSurrogateInAJsonLinesPromptIsRefusedNamingTheFileAndLine()
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.jsonl");
        string[] lines = [.. Enumerable.Range(1, 12).Select(i => $$"""{"prompt": "prompt {{i}}"}""")];
        lines[4] = """{"prompt": "broken \ud800 text"}""";
        File.WriteAllLines(path, lines);

        var error = Assert.Throws<InvalidDataException>(() => PromptFile.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 5", error.Message);
    }

    [Fact]
    public void ALoneSurrogateInARunRecordIsRefusedNamingTheFile()
    {
        using var dir = new TestDirectory();
        string path = dir.File(RunRecord.FileName);
        new RunRecord("pama", 1, 10, "settings", new() { ["length"] = 1.0 }, ["a response"], [[1.0]]).Write(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace("a response", "a \\ud800 response", StringComparison.Ordinal));

        var error = Assert.Throws<InvalidDataException>(() => RunRecord.TryRead(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void ALoneSurrogateInTheCompactVocabularyIsRefusedNamingTheFile()
    {
        using var dir = new TestDirectory();
        string path = dir.File(CompactVocabularyTokenizer.FileName);
        var gpt2 = Gpt2Tokenizer.CreateDefault();
        CompactVocabularyTokenizer.Build(gpt2, ["a few words"]).Save(path);
        string text = File.ReadAllText(path);
        int key = text.IndexOf('"', StringComparison.Ordinal);
        File.WriteAllText(path, text[..(key + 1)] + "\\ud800" + text[(key + 1)..]);

        var error = Assert.Throws<InvalidDataException>(() => CompactVocabularyTokenizer.Load(gpt2, path));
        Assert.Contains(path, error.Message);
    }

    [Theory]
    [InlineData("99999999999,pama,1,length,0.5,0.5,0.1,0.2")]
    [InlineData("1,pama,-99999999999,length,0.5,0.5,0.1,0.2")]
    [InlineData("1,pama,1,length,1e999x,0.5,0.1,0.2")]
    public void AMetricsLineWithAnUnreadableNumberIsRefusedNamingTheFileAndLine(string line)
    {
        using var dir = new TestDirectory();
        string path = dir.File("metrics.csv");
        File.WriteAllLines(path, [MetricsCsv.Header, "1,pama,1,length,0.5,0.5,0.1,0.2", line]);

        var error = Assert.Throws<InvalidDataException>(() => MetricsCsv.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3", error.Message);
    }
}
