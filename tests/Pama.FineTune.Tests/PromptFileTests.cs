using Pama.FineTune.Corpus;
using Pama.TorchSharp.Tests.Models;
using Pama.TorchSharp.Tests.Training;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary><c>--prompts FILE</c>: plain lines or JSON Lines, every tenth held out, bad files named with their line.</summary>
public sealed class PromptFileTests
{
    private static readonly string[] Twelve = [.. Enumerable.Range(1, 12).Select(i => $"prompt {(char)('a' + i - 1)}")];

    [Fact]
    public void PlainLinesSkipBlanksAndHoldOutEveryTenth()
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.txt");
        File.WriteAllLines(path, [Twelve[0], "", .. Twelve[1..], "   "]);

        PromptFile file = PromptFile.Read(path);

        Assert.Equal(Twelve, file.Prompts.Select(p => p.Text));
        Assert.Equal(1, file.Prompts[0].Line);
        Assert.Equal(3, file.Prompts[1].Line);
        Assert.Equal(["prompt j"], file.HeldOut);
        Assert.Equal(11, file.Training.Count);
        Assert.DoesNotContain("prompt j", file.Training);
    }

    [Fact]
    public void JsonLinesReadThePromptField()
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.jsonl");
        File.WriteAllLines(path, Twelve.Select(t => $$"""{"prompt": "{{t}}", "label": 1}"""));

        Assert.Equal(Twelve, PromptFile.Read(path).Prompts.Select(p => p.Text));
    }

    [Theory]
    [InlineData("", "has no prompts")]
    [InlineData("\n  \n", "has no prompts")]
    [InlineData("only one prompt", "at least 10")]
    public void EmptyOrTooSmallFilesAreRefusedNamingTheFile(string content, string expected)
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.txt");
        File.WriteAllText(path, content);

        var error = Assert.Throws<InvalidDataException>(() => PromptFile.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"text": "no prompt field"}""", "no string field \"prompt\"")]
    [InlineData("""{"prompt": 3}""", "no string field \"prompt\"")]
    [InlineData("""{"prompt": "unterminated""", "not valid JSON")]
    [InlineData("""{"prompt": "  "}""", "the prompt is empty")]
    public void BadJsonLinesNameTheFileAndLine(string badLine, string expected)
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.jsonl");
        string[] lines = [.. Twelve.Select(t => $$"""{"prompt": "{{t}}"}""")];
        lines[4] = badLine;
        File.WriteAllLines(path, lines);

        var error = Assert.Throws<InvalidDataException>(() => PromptFile.Read(path));
        Assert.Contains($"{path}, line 5", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void UnreadableFileIsNamed()
    {
        using var dir = new TestDirectory();
        // A directory where a file is expected cannot be read as one.
        var error = Assert.Throws<InvalidDataException>(() => PromptFile.Read(dir.Path));
        Assert.Contains($"cannot read '{dir.Path}'", error.Message);
    }

    [Fact]
    public void PromptLongerThanTheContextIsNamedWithItsLine()
    {
        using var dir = new TestDirectory();
        string path = dir.File("prompts.txt");
        string[] lines = [.. Twelve];
        lines[6] = new string('x', 40);
        File.WriteAllLines(path, lines);
        PromptFile file = PromptFile.Read(path);

        // The character tokenizer gives one token per character: 40 + 16 response tokens exceed a context of 48.
        var error = Assert.Throws<InvalidDataException>(() => file.CheckFits(TinyModels.Tokenizer, contextLength: 48, maxNewTokens: 16));
        Assert.Contains($"{path}, line 7", error.Message);
        Assert.Contains("40 tokens", error.Message);
        Assert.Contains("context of 48", error.Message);
        file.CheckFits(TinyModels.Tokenizer, contextLength: 56, maxNewTokens: 16);
    }
}
