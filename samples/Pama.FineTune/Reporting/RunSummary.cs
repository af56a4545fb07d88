using Pama.FineTune.Experiment;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.FineTune.Reporting;

/// <summary>
/// The run's headline numbers, written as <c>summary.json</c> and as <c>summary.md</c>, a table laid out like the
/// paper's (rows objectives, columns MGDA-UB, MORLHF, PAMA) followed by the Pareto quantities.
/// </summary>
/// <remarks>
/// <para><c>summary.json</c>: <c>{"objectives":[...], "seeds":[...], "steps":N,
/// "methods":{"pama":{"sentiment":{"mean","std"}, ..., "hypervolume":{"mean","std"}, "improvedAll":f, "secondsPerStep":{"mean","std"}}, ...},
/// "before":{"sentiment":{"mean","std"}, ...},
/// "runs":[{"method","seed","preference":[w,...],"before":{"sentiment":x,...},"after":{...},"seconds":s}, ...],
/// "significance":{"test","alpha","comparisons":[{"method","baseline","metric","difference","t","df","p"}, ...]},
/// "front":{"finalPoint":"after","reference":{"sentiment":x,...},"hypervolume":{"pama":v,...},"methods":{"pama":{"hypervolume":v,"points":n,"dominated":k},...},
/// "preferences":[{"preference":[w,...],"hypervolume":v,"points":n}, ...]}}</c>.
/// <c>seconds</c> is the run's mean wall-clock seconds per training step. Non-finite numbers are written as <c>null</c>.</para>
/// <para>A run's <c>method</c> is its method key; a run of MORLHF's preference sweep (<c>--sweep</c>) also carries its
/// <c>preference</c> (weights in objective order), and <c>methods</c> is keyed by arm (<c>morlhf@w₁/w₂</c> for a sweep
/// preference, see <see cref="RunArm.Key"/>). A run's final point is its <c>after</c> object (<c>front.finalPoint</c> names it).
/// <c>front.hypervolume</c> maps each method key to the exact hypervolume (<see cref="Pama.Pareto.Hypervolume"/>) of the union
/// of the final points of all that method's runs (all seeds and all sweep preferences) over <c>front.reference</c>, the mean of
/// <c>before</c> over all runs; <c>front.methods</c> repeats it beside the number of points and, with a sweep, how many of them
/// a sweep run dominates (<c>null</c> for MORLHF and without a sweep); <c>front.preferences</c> gives each sweep preference's
/// hypervolume over its own runs alone, for a comparison with as many points as the other methods have.</para>
/// <para>The hypervolume of a run is <c>Π_i max(after_i − before_i, 0)</c> with its own pre-alignment point
/// (the pretrained policy on the same held-out prompts and draws) as reference.</para>
/// </remarks>
/// <param name="Objectives">Objective names, in order.</param>
/// <param name="Seeds">Seeds, in order.</param>
/// <param name="Steps">Training steps per run.</param>
/// <param name="Methods">Method key to its aggregates, in order of first appearance.</param>
/// <param name="Before">Objective name to the mean and standard deviation over seeds of the pretrained policy's held-out mean reward.</param>
/// <param name="Runs">Every finished run, before and after.</param>
/// <param name="Significance">PAMA against each baseline per objective and for the hypervolume (Welch's t-test); empty unless PAMA and a baseline each have two or more seeds.</param>
/// <param name="Front">Every method's final points against the common reference point.</param>
public sealed record RunSummary(
    IReadOnlyList<string> Objectives,
    IReadOnlyList<int> Seeds,
    int Steps,
    IReadOnlyDictionary<string, MethodSummary> Methods,
    IReadOnlyDictionary<string, MeanStd> Before,
    IReadOnlyList<HeldOutResult> Runs,
    IReadOnlyList<MethodComparison> Significance,
    ParetoFront Front)
{
    /// <summary>Significance level of the verdicts in <c>summary.md</c>.</summary>
    public const double Alpha = 0.05;

    /// <summary>The metric name of the hypervolume, beside the objective names.</summary>
    public const string HypervolumeKey = "hypervolume";

    private const string ImprovedAllKey = "improvedAll";
    private const string SecondsPerStepKey = "secondsPerStep";
    private const string TestName = "Welch's t-test (unequal variances), two-sided, over per-seed values, no multiple-comparison correction";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Column order of the paper's table.</summary>
    private static readonly (string Key, string Title)[] PaperColumns = [.. new[] { "mgda-ub", "morlhf", "pama" }.Select(k => (k, MethodNames.Title(k)))];

    /// <summary>Aggregates per-seed held-out results per arm (method, or MORLHF sweep preference). Arms keep the order of first appearance.</summary>
    /// <exception cref="ArgumentException">A result lacks an objective, or an objective's name collides with a per-method key.</exception>
    public static RunSummary From(IReadOnlyList<string> objectives, IReadOnlyList<int> seeds, int steps, IEnumerable<HeldOutResult> results)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        ArgumentNullException.ThrowIfNull(results);
        foreach (string objective in objectives)
        {
            if (objective is HypervolumeKey or ImprovedAllKey or SecondsPerStepKey)
                throw new ArgumentException($"Objective '{objective}' has the name of a per-method summary entry; rename it.", nameof(objectives));
        }

        HeldOutResult[] runs = [.. results];
        var methods = new Dictionary<string, MethodSummary>();
        var hypervolumes = new Dictionary<string, double[]>();
        foreach (IGrouping<string, HeldOutResult> method in runs.GroupBy(r => r.Arm))
        {
            var perObjective = new Dictionary<string, MeanStd>();
            foreach (string objective in objectives) perObjective[objective] = MeanStd.Of(method.Select(r => After(r, objective)).ToArray());
            double[] volumes = method.Select(r => ParetoMetrics.Hypervolume(objectives, r.Before, r.MeanRewards)).ToArray();
            hypervolumes[method.Key] = volumes;
            double improved = method.Count(r => ParetoMetrics.ImprovedAll(objectives, r.Before, r.MeanRewards)) / (double)method.Count();
            methods[method.Key] = new MethodSummary(perObjective, MeanStd.Of(volumes), improved, MeanStd.Of(method.Select(r => r.SecondsPerStep).ToArray()));
        }

        // Every run of a seed starts from the same pretrained point; count each seed once.
        HeldOutResult[] firstPerSeed = runs.GroupBy(r => r.Seed).Select(g => g.First()).ToArray();
        var before = new Dictionary<string, MeanStd>();
        if (firstPerSeed.Length > 0)
        {
            foreach (string objective in objectives)
            {
                before[objective] = MeanStd.Of(firstPerSeed.Select(r => r.Before.TryGetValue(objective, out double v)
                    ? v
                    : throw new ArgumentException($"The held-out result of method '{r.Method}', seed {r.Seed}, has no pre-alignment value for objective '{objective}'.")).ToArray());
            }
        }

        var significance = new List<MethodComparison>();
        const string tested = "pama";
        HeldOutResult[] pama = runs.Where(r => r.Arm == tested).ToArray();
        foreach (string baseline in methods.Keys.Where(k => k != tested))
        {
            HeldOutResult[] other = runs.Where(r => r.Arm == baseline).ToArray();
            if (pama.Length < 2 || other.Length < 2) continue;
            foreach (string objective in objectives)
            {
                significance.Add(new MethodComparison(tested, baseline, objective,
                    WelchTest.Of(pama.Select(r => After(r, objective)).ToArray(), other.Select(r => After(r, objective)).ToArray())));
            }

            significance.Add(new MethodComparison(tested, baseline, HypervolumeKey, WelchTest.Of(hypervolumes[tested], hypervolumes[baseline])));
        }

        return new RunSummary(objectives, seeds, steps, methods, before, runs, significance, ParetoFront.Of(objectives, runs));
    }

    private static double After(HeldOutResult result, string objective) =>
        result.MeanRewards.TryGetValue(objective, out double v)
            ? v
            : throw new ArgumentException($"The held-out result of {RunArm.TitleOf(result.Arm)}, seed {result.Seed}, has no value for objective '{objective}'.");

    /// <summary>The JSON text of <c>summary.json</c> (shape in the remarks of <see cref="RunSummary"/>).</summary>
    public string ToJson()
    {
        var methods = new JsonObject();
        foreach ((string key, MethodSummary method) in Methods)
        {
            var entry = new JsonObject();
            foreach (string objective in Objectives) entry[objective] = Node(method.Objectives[objective]);
            entry[HypervolumeKey] = Node(method.Hypervolume);
            entry[ImprovedAllKey] = Number(method.ImprovedAll);
            entry[SecondsPerStepKey] = Node(method.SecondsPerStep);
            methods[key] = entry;
        }

        var before = new JsonObject();
        foreach ((string objective, MeanStd value) in Before) before[objective] = Node(value);
        var runs = new JsonArray();
        foreach (HeldOutResult run in Runs)
        {
            var entry = new JsonObject { ["method"] = run.Method, ["seed"] = run.Seed };
            if (run.Preference is { } preference) entry["preference"] = new JsonArray([.. preference.Select(Number)]);
            entry["before"] = Values(run.Before);
            entry["after"] = Values(run.MeanRewards);
            entry["seconds"] = Number(run.SecondsPerStep);
            runs.Add(entry);
        }

        var comparisons = new JsonArray();
        foreach (MethodComparison c in Significance)
        {
            comparisons.Add(new JsonObject
            {
                ["method"] = c.Method,
                ["baseline"] = c.Baseline,
                ["metric"] = c.Metric,
                ["difference"] = Number(c.Test.Difference),
                ["t"] = Number(c.Test.T),
                ["df"] = Number(c.Test.DegreesOfFreedom),
                ["p"] = Number(c.Test.P),
            });
        }

        var root = new JsonObject
        {
            ["objectives"] = new JsonArray([.. Objectives.Select(o => (JsonNode?)JsonValue.Create(o))]),
            ["seeds"] = new JsonArray([.. Seeds.Select(s => (JsonNode?)JsonValue.Create(s))]),
            ["steps"] = Steps,
            ["methods"] = methods,
            ["before"] = before,
            ["runs"] = runs,
            ["significance"] = new JsonObject { ["test"] = TestName, ["alpha"] = Alpha, ["comparisons"] = comparisons },
            ["front"] = FrontNode(),
        };
        return root.ToJsonString(JsonOptions);
    }

    private JsonObject FrontNode()
    {
        var hypervolumes = new JsonObject();
        var methods = new JsonObject();
        bool swept = Front.Comparisons.Count > 0;
        foreach ((string method, double volume) in Front.Hypervolumes)
        {
            hypervolumes[method] = Number(volume);
            int? dominated = swept && method != RunArm.SweptMethod
                ? Front.Comparisons.Count(c => c.Run.Method == method && c.DominatedBy.Count > 0)
                : null;
            methods[method] = new JsonObject { [HypervolumeKey] = Number(volume), ["points"] = Front.PointCounts[method], ["dominated"] = dominated };
        }

        var preferences = new JsonArray();
        foreach ((string arm, double volume) in Front.PreferenceHypervolumes)
        {
            HeldOutResult[] runs = [.. Runs.Where(r => r.Arm == arm)];
            preferences.Add(new JsonObject
            {
                ["preference"] = new JsonArray([.. runs[0].Preference!.Select(Number)]),
                [HypervolumeKey] = Number(volume),
                ["points"] = runs.Length,
            });
        }

        return new JsonObject
        {
            ["finalPoint"] = "after",
            ["reference"] = Values(Front.Reference),
            [HypervolumeKey] = hypervolumes,
            ["methods"] = methods,
            ["preferences"] = preferences,
        };
    }

    private JsonObject Values(IReadOnlyDictionary<string, double> values)
    {
        var node = new JsonObject();
        foreach (string objective in Objectives)
            if (values.TryGetValue(objective, out double v)) node[objective] = Number(v);
        return node;
    }

    private static JsonObject Node(MeanStd value) => new() { ["mean"] = Number(value.Mean), ["std"] = Number(value.Std) };

    // JSON has no NaN or infinity.
    private static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    /// <summary>The Markdown text of <c>summary.md</c>.</summary>
    public string ToMarkdown()
    {
        // The paper's column order (MGDA-UB, MORLHF, PAMA), a sweep's preferences in their order, then any other method.
        (string Key, string Title)[] columns = Methods.Keys
            .Select((key, order) => (key, order, paper: Array.FindIndex(PaperColumns, c => c.Key == RunArm.MethodOf(key))))
            .OrderBy(c => c.paper < 0 ? int.MaxValue : c.paper).ThenBy(c => c.order)
            .Select(c => (c.key, RunArm.TitleOf(c.key)))
            .ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Held-out mean reward after {Steps} steps ({SeedWording()}).");
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
            foreach ((string key, _) in columns) text.Append(' ').Append(Format(Methods[key].Objectives[objective])).Append(" |");
            text.AppendLine();
        }

        text.Append("| hypervolume |");
        foreach ((string key, _) in columns) text.Append(' ').Append(Format(Methods[key].Hypervolume)).Append(" |");
        text.AppendLine();
        text.Append("| runs improving every objective |");
        foreach ((string key, _) in columns)
        {
            int count = Runs.Count(r => r.Arm == key);
            int improved = (int)Math.Round(Methods[key].ImprovedAll * count);
            text.Append(CultureInfo.InvariantCulture, $" {improved}/{count} |");
        }

        text.AppendLine();
        text.Append("| seconds per step |");
        foreach ((string key, _) in columns) text.Append(' ').Append(Format(Methods[key].SecondsPerStep, "F2")).Append(" |");
        text.AppendLine();

        if (Before.Count > 0)
        {
            text.AppendLine();
            text.Append("Before alignment (the pretrained policy, same prompts and sampling):");
            foreach (string objective in Objectives)
            {
                if (Before.TryGetValue(objective, out MeanStd? value)) text.Append(CultureInfo.InvariantCulture, $" {objective} {Format(value)};");
            }

            text.Length--;
            text.AppendLine(".");
        }

        text.AppendLine();
        text.AppendLine("Hypervolume of a run: Π_i max(after_i − before_i, 0) over the objectives, with the run's own pre-alignment point " +
                        "(same seed, prompts and draws) as reference; zero when any objective got worse.");
        AppendRuns(text);
        AppendFront(text);
        AppendSignificance(text);
        return text.ToString();
    }

    private void AppendRuns(StringBuilder text)
    {
        text.AppendLine();
        text.AppendLine("Every run (held-out mean reward before → after alignment):");
        text.AppendLine();
        text.Append("| method | seed |");
        foreach (string objective in Objectives) text.Append(' ').Append(objective).Append(" |");
        text.AppendLine(" hypervolume | s/step |");
        text.Append("|---|---:|");
        foreach (var _ in Objectives) text.Append("---:|");
        text.AppendLine("---:|---:|");
        foreach (HeldOutResult run in Runs)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {RunArm.TitleOf(run.Arm)} | {run.Seed} |");
            foreach (string objective in Objectives)
                text.Append(CultureInfo.InvariantCulture, $" {run.Before[objective]:F4} → {run.MeanRewards[objective]:F4} |");
            text.AppendLine(CultureInfo.InvariantCulture, $" {ParetoMetrics.Hypervolume(Objectives, run.Before, run.MeanRewards):F4} | {run.SecondsPerStep:F2} |");
        }
    }

    private void AppendSignificance(StringBuilder text)
    {
        if (Significance.Count == 0) return;
        double bonferroni = Alpha / Significance.Count;
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"PAMA against each baseline: {TestName}. Verdicts at α = {Alpha}; with {Significance.Count} comparisons a Bonferroni-corrected " +
            $"threshold would be p < {bonferroni:G3}. Few seeds make the test weak: 'no significant difference' is not 'equal'.");
        text.AppendLine();
        text.AppendLine("| PAMA vs | metric | PAMA − baseline | t | df | p | reading |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---|");
        foreach (MethodComparison c in Significance)
        {
            string reading = c.Test.P < Alpha ? (c.Test.Difference > 0 ? "PAMA higher" : "PAMA lower") : "no significant difference";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {RunArm.TitleOf(c.Baseline)} | {c.Metric} | {c.Test.Difference:F4} | {c.Test.T:F2} | {c.Test.DegreesOfFreedom:F1} | {c.Test.P:G3} | {reading} |");
        }
    }

    private void AppendFront(StringBuilder text)
    {
        if (Front.Hypervolumes.Count == 0) return;
        text.AppendLine();
        text.Append("Set hypervolume: the exact volume dominated by the union of a method's final points (every seed");
        text.Append(Front.Comparisons.Count > 0 ? ", and for MORLHF every sweep preference)" : ")");
        text.Append(" over one reference point shared by all methods, the mean pre-alignment reward over all runs (");
        text.Append(string.Join(", ", Objectives.Select(o => string.Create(CultureInfo.InvariantCulture, $"{o} {Front.Reference[o]:F4}"))));
        text.AppendLine("). A point below the reference in any objective adds nothing.");
        text.AppendLine();
        text.AppendLine("| method | final points | set hypervolume |");
        text.AppendLine("|---|---:|---:|");
        foreach ((string method, double volume) in Front.Hypervolumes)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {MethodNames.Title(method)} | {Front.PointCounts[method]} | {volume:F4} |");
        foreach ((string arm, double volume) in Front.PreferenceHypervolumes)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {RunArm.TitleOf(arm)} alone | {Runs.Count(r => r.Arm == arm)} | {volume:F4} |");

        if (Front.Comparisons.Count == 0) return;
        text.AppendLine();
        text.AppendLine("Against the MORLHF sweep's front (a point is dominated when a sweep run of any seed is at least as high in every objective and higher in one):");
        text.AppendLine();
        foreach (FrontComparison c in Front.Comparisons)
        {
            string point = string.Join(", ", Objectives.Select(o => string.Create(CultureInfo.InvariantCulture, $"{o} {c.Run.MeanRewards[o]:F4}")));
            string verdict = c.DominatedBy.Count == 0
                ? "not dominated: on or beyond the front"
                : "dominated by " + string.Join("; ", c.DominatedBy.Select(d => $"{RunArm.TitleOf(d.Arm)} seed {d.Seed}" + (d.Seed == c.Run.Seed ? " (same seed)" : "")));
            text.AppendLine(CultureInfo.InvariantCulture, $"- {RunArm.TitleOf(c.Run.Arm)} seed {c.Run.Seed} ({point}): {verdict}.");
        }
    }

    // "mean ± std over seeds 1, 2, 3", or "seed 1" when there is nothing to spread over.
    private string SeedWording() => Seeds.Count == 1
        ? $"seed {Seeds[0]}, one seed: no spread"
        : $"mean ± std over seeds {string.Join(", ", Seeds)}";

    private string Format(MeanStd value, string format = "F4") => Seeds.Count == 1
        ? value.Mean.ToString(format, CultureInfo.InvariantCulture)
        : string.Create(CultureInfo.InvariantCulture, $"{value.Mean.ToString(format, CultureInfo.InvariantCulture)} ± {value.Std.ToString(format, CultureInfo.InvariantCulture)}");
}
