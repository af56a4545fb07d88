using System.Text.Json;
using Pama.TorchSharp.Models;

namespace Pama.FineTune.Corpus;

/// <summary>
/// Prompts from a file (<c>--prompts</c>): one prompt per line, or JSON Lines with a string field <c>prompt</c>
/// (chosen when the first non-blank line starts with <c>{</c>). Blank lines are skipped. Every tenth prompt
/// (the 10th, 20th, ...) is held out for the evaluation before and after alignment, the rest are trained on.
/// </summary>
public sealed class PromptFile
{
    /// <summary>Every this many prompts, one is held out.</summary>
    public const int HeldOutEvery = 10;

    private PromptFile(string path, IReadOnlyList<(int Line, string Text)> prompts)
    {
        Path = path;
        Prompts = prompts;
        Training = [.. prompts.Where((_, i) => (i + 1) % HeldOutEvery != 0).Select(p => p.Text)];
        HeldOut = [.. prompts.Where((_, i) => (i + 1) % HeldOutEvery == 0).Select(p => p.Text)];
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Every prompt with its 1-based line number, in file order.</summary>
    public IReadOnlyList<(int Line, string Text)> Prompts { get; }

    /// <summary>The prompts trained on.</summary>
    public IReadOnlyList<string> Training { get; }

    /// <summary>The held-out prompts (every <see cref="HeldOutEvery"/>-th).</summary>
    public IReadOnlyList<string> HeldOut { get; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file cannot be read, has fewer than <see cref="HeldOutEvery"/> prompts, or a line is not a
    /// valid prompt (the message names the file and line).</exception>
    public static PromptFile Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"--prompts: cannot read '{path}': {e.Message}", e);
        }

        bool jsonLines = lines.FirstOrDefault(l => l.Trim().Length > 0)?.TrimStart().StartsWith('{') ?? false;
        var prompts = new List<(int, string)>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            string text = jsonLines ? JsonPrompt(path, i + 1, lines[i]) : lines[i];
            if (text.Trim().Length == 0) throw new InvalidDataException($"--prompts: {path}, line {i + 1}: the prompt is empty.");
            prompts.Add((i + 1, text));
        }

        if (prompts.Count == 0) throw new InvalidDataException($"--prompts: '{path}' has no prompts (the file is empty or blank).");
        if (prompts.Count < HeldOutEvery)
        {
            throw new InvalidDataException(
                $"--prompts: '{path}' has {prompts.Count} prompts; at least {HeldOutEvery} are needed (every {HeldOutEvery}th is held out for evaluation).");
        }

        return new PromptFile(path, prompts);
    }

    /// <summary>
    /// Checks that every prompt encodes to at least one token and leaves room for <paramref name="maxNewTokens"/>
    /// response tokens in the model's context.
    /// </summary>
    /// <exception cref="InvalidDataException">A prompt does not fit (the message names the file, line and lengths).</exception>
    public void CheckFits(ITextTokenizer tokenizer, int contextLength, int maxNewTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        foreach ((int line, string text) in Prompts)
        {
            int tokens;
            try
            {
                tokens = tokenizer.Encode(text).Count;
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"--prompts: {Path}, line {line}: the tokenizer cannot encode the prompt: {e.Message}", e);
            }

            if (tokens == 0) throw new InvalidDataException($"--prompts: {Path}, line {line}: the prompt encodes to no tokens.");
            if (tokens + maxNewTokens > contextLength)
            {
                throw new InvalidDataException(
                    $"--prompts: {Path}, line {line}: the prompt is {tokens} tokens long; with up to {maxNewTokens} response tokens that exceeds the model's context of {contextLength} tokens.");
            }
        }
    }

    private static string JsonPrompt(string path, int line, string text)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"--prompts: {path}, line {line}: expected a JSON object with a \"prompt\" field.");
            if (!document.RootElement.TryGetProperty("prompt", out JsonElement prompt) || prompt.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"--prompts: {path}, line {line}: no string field \"prompt\".");
            return prompt.GetString()!;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"--prompts: {path}, line {line}: not valid JSON ({e.Message}).", e);
        }
        catch (InvalidOperationException e)
        {
            // Valid JSON escaping a lone UTF-16 surrogate ("\ud800"), which no .NET string can hold.
            throw new InvalidDataException($"--prompts: {path}, line {line}: a string is not valid Unicode ({e.Message}).", e);
        }
    }
}
