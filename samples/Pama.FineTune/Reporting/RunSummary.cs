using Pama.FineTune.Experiment;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pama.FineTune.Reporting;

/// <summary>
/// The run's headline numbers, written as <c>summary.json</c>
/// (<c>{"objectives":[...],"seeds":[...],"steps":N,"methods":{"pama":{"sentiment":{"mean":x,"std":y},...},...}}</c>)
/// and as <c>summary.md</c>, a table laid out like the paper's (rows objectives, columns MGDA-UB, MORLHF, PAMA).
/// </summary>
/// <param name="Objectives">Objective names, in order.</param>
/// <param name="Seeds">Seeds, in order.</param>
/// <param name="Steps">Training steps per run.</param>
/// <param name="Methods">Method key to objective name to the mean and standard deviation across seeds of each seed's held-out mean reward.</param>
public sealed record RunSummary(
    [property: JsonPropertyName("objectives")] IReadOnlyList<string> Objectives,
    [property: JsonPropertyName("seeds")] IReadOnlyList<int> Seeds,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("methods")] IReadOnlyDictionary<string, IReadOnlyDictionary<string, MeanStd>> Methods)
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Column order of the paper's table.</summary>
    private static readonly (string Key, string Title)[] PaperColumns = [.. new[] { "mgda-ub", "morlhf", "pama" }.Select(k => (k, MethodNames.Title(k)))];

    /// <summary>Aggregates per-seed held-out results. Methods keep the order of first appearance.</summary>
    public static RunSummary From(IReadOnlyList<string> objectives, IReadOnlyList<int> seeds, int steps, IEnumerable<HeldOutResult> results)
    {
        var methods = new Dictionary<string, IReadOnlyDictionary<string, MeanStd>>();
        foreach (IGrouping<string, HeldOutResult> method in results.GroupBy(r => r.Method))
        {
            var perObjective = new Dictionary<string, MeanStd>();
            foreach (string objective in objectives)
            {
                perObjective[objective] = MeanStd.Of(method.Select(r => r.MeanRewards.TryGetValue(objective, out double v)
                    ? v
                    : throw new ArgumentException($"The held-out result of method '{r.Method}', seed {r.Seed}, has no value for objective '{objective}'.")).ToArray());
            }

            methods[method.Key] = perObjective;
        }

        return new RunSummary(objectives, seeds, steps, methods);
    }

    /// <summary>The JSON text of <c>summary.json</c>.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The Markdown text of <c>summary.md</c>.</summary>
    /// <param name="pretrained">Optionally, the same held-out rewards of the policy before alignment, listed under the table.</param>
    public string ToMarkdown(IReadOnlyDictionary<string, MeanStd>? pretrained = null)
    {
        (string Key, string Title)[] columns = PaperColumns.Where(c => Methods.ContainsKey(c.Key))
            .Concat(Methods.Keys.Where(k => PaperColumns.All(c => c.Key != k)).Select(k => (k, k)))
            .ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Held-out mean reward after {Steps} steps (mean ± std over seeds {string.Join(", ", Seeds)}).");
        text.AppendLine();
        text.Append("| reward |");
        foreach ((_, string title) in columns) text.Append(' ').Append(title).Append(" |");
        text.AppendLine();
        text.Append("|---|");
        foreach (var _ in columns) text.Append("---:|");
        text.AppendLine();
        foreach (string objective in Objectives)
        {
            text.Append("| ").Append(objective).Append(" |");
            foreach ((string key, _) in columns)
            {
                MeanStd value = Methods[key][objective];
                text.Append(CultureInfo.InvariantCulture, $" {value.Mean:F4} ± {value.Std:F4} |");
            }

            text.AppendLine();
        }

        if (pretrained is not null)
        {
            text.AppendLine();
            text.Append("Before alignment (the pretrained policy, same prompts and sampling):");
            foreach (string objective in Objectives)
            {
                if (pretrained.TryGetValue(objective, out MeanStd? value))
                    text.Append(CultureInfo.InvariantCulture, $" {objective} {value.Mean:F4} ± {value.Std:F4};");
            }

            text.Length--;
            text.AppendLine(".");
        }

        return text.ToString();
    }
}
