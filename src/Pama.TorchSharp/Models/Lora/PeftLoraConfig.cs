using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pama.TorchSharp.Models;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA adapter: the keys this library reads and writes, and PEFT's rules for
/// which module a key applies to (<c>target_modules</c>, <c>exclude_modules</c>, <c>rank_pattern</c>, <c>alpha_pattern</c>).
/// </summary>
internal sealed record PeftLoraConfig
{
    public const string FileName = "adapter_config.json";

    public required int Rank { get; init; }

    public required double Alpha { get; init; }

    public double Dropout { get; init; }

    /// <summary>A list of names (exact or suffix after a dot), as PEFT keeps a list.</summary>
    public IReadOnlyList<string>? TargetModuleNames { get; init; }

    /// <summary>A regular expression the whole module name must match, as PEFT reads a string <c>target_modules</c>.</summary>
    public string? TargetModulePattern { get; init; }

    public IReadOnlyList<string>? ExcludeModuleNames { get; init; }

    public string? ExcludeModulePattern { get; init; }

    public bool UseRsLora { get; init; }

    public bool FanInFanOut { get; init; }

    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    public string? BaseModelNameOrPath { get; init; }

    public string? TaskType { get; init; } = "CAUSAL_LM";

    /// <summary>Whether PEFT would wrap the module called <paramref name="name"/> (before checking its type).</summary>
    public bool Targets(string name)
    {
        bool targeted = TargetModulePattern is { } pattern
            ? Regex.IsMatch(name, $"^(?:{pattern})$")
            : TargetModuleNames!.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal));
        if (!targeted) return false;
        bool excluded = ExcludeModulePattern is { } exclude
            ? Regex.IsMatch(name, $"^(?:{exclude})$")
            : ExcludeModuleNames is { } names && names.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal));
        return !excluded;
    }

    /// <summary>Rank, α and scale of module <paramref name="name"/>, with PEFT's <c>rank_pattern</c> / <c>alpha_pattern</c> overrides.</summary>
    public (int Rank, double Alpha, double Scale) For(string name)
    {
        int rank = PatternValue(RankPattern, name) ?? Rank;
        double alpha = PatternValue(AlphaPattern, name) ?? Alpha;
        return (rank, alpha, LoraOptions.ScaleOf(alpha, rank, UseRsLora));
    }

    // PEFT's get_pattern_key: the first pattern key that matches the end of the name at a dot boundary.
    private static T? PatternValue<T>(IReadOnlyDictionary<string, T> patterns, string name) where T : struct
    {
        foreach (var (key, value) in patterns)
            if (Regex.IsMatch(name, $"^(.*\\.)?(?:{key})$")) return value;
        return null;
    }

    public static PeftLoraConfig FromOptions(LoraOptions options) => new()
    {
        Rank = options.Rank,
        Alpha = options.Alpha,
        Dropout = options.Dropout,
        TargetModuleNames = [.. options.TargetModules],
        UseRsLora = options.UseRsLora,
    };

    /// <summary>Reads and checks <c>adapter_config.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed, or it asks for something this library does not
    /// implement (DoRA, biases, extra saved modules, ...); the message names the file and the key.</exception>
    public static PeftLoraConfig Read(string path)
    {
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: the top level is not a JSON object."); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not valid JSON: {e.Message}", e); }

        string peftType = String(root, "peft_type", path) ?? throw new InvalidDataException($"{path}: key 'peft_type' is missing.");
        if (peftType != "LORA") throw new InvalidDataException($"{path}: key 'peft_type' is '{peftType}'; only LORA adapters are supported.");
        Unsupported(root, path, "use_dora", n => n.GetValueKind() == JsonValueKind.True, "DoRA is not supported");
        Unsupported(root, path, "lora_bias", n => n.GetValueKind() == JsonValueKind.True, "LoRA biases are not supported");
        Unsupported(root, path, "bias", n => n.GetValueKind() == JsonValueKind.String && n.GetValue<string>() != "none",
            "trained base biases are not supported (only \"none\")");
        Unsupported(root, path, "modules_to_save", NonEmpty, "fully trained extra modules are not supported");
        Unsupported(root, path, "layers_to_transform", NonEmpty, "restricting LoRA to some layers is not supported");
        Unsupported(root, path, "layer_replication", NonEmpty, "layer replication is not supported");
        Unsupported(root, path, "target_parameters", NonEmpty, "LoRA on bare parameters is not supported");
        Unsupported(root, path, "trainable_token_indices", NonEmpty, "trainable tokens are not supported");
        Unsupported(root, path, "alora_invocation_tokens", NonEmpty, "activated LoRA is not supported");
        Unsupported(root, path, "use_qalora", n => n.GetValueKind() == JsonValueKind.True, "QA-LoRA is not supported");

        int rank = Number(root, "r", path) is { } r && r == Math.Floor(r) && r >= 1 && r <= int.MaxValue
            ? (int)r : throw new InvalidDataException($"{path}: key 'r' must be a positive integer.");
        double alpha = Number(root, "lora_alpha", path) is { } a && double.IsFinite(a) && a > 0
            ? a : throw new InvalidDataException($"{path}: key 'lora_alpha' must be a positive number.");
        double dropout = Number(root, "lora_dropout", path) ?? 0;
        if (!(dropout >= 0 && dropout < 1)) throw new InvalidDataException($"{path}: key 'lora_dropout' must lie in [0, 1), got {dropout}.");

        var (targetNames, targetPattern) = NamesOrPattern(root, "target_modules", path);
        if (targetNames is null && targetPattern is null) throw new InvalidDataException($"{path}: key 'target_modules' is missing.");
        if (targetNames is { Count: 0 }) throw new InvalidDataException($"{path}: key 'target_modules' is empty.");
        var (excludeNames, excludePattern) = NamesOrPattern(root, "exclude_modules", path);
        return new PeftLoraConfig
        {
            Rank = rank,
            Alpha = alpha,
            Dropout = dropout,
            TargetModuleNames = targetNames,
            TargetModulePattern = targetPattern,
            ExcludeModuleNames = excludeNames,
            ExcludeModulePattern = excludePattern,
            UseRsLora = Bool(root, "use_rslora", path),
            FanInFanOut = Bool(root, "fan_in_fan_out", path),
            RankPattern = Patterns(root, "rank_pattern", path, v => v == Math.Floor(v) && v >= 1 && v <= int.MaxValue, v => (int)v),
            AlphaPattern = Patterns(root, "alpha_pattern", path, v => double.IsFinite(v) && v > 0, v => v),
            BaseModelNameOrPath = String(root, "base_model_name_or_path", path),
            TaskType = String(root, "task_type", path),
        };
    }

    /// <summary>The JSON PEFT's <c>LoraConfig.from_pretrained</c> reads; <paramref name="fanInFanOut"/> is what the wrapped layers use.</summary>
    public string ToJson(bool fanInFanOut)
    {
        JsonNode? Names(IReadOnlyList<string>? names, string? pattern) =>
            pattern is not null ? JsonValue.Create(pattern) : names is null ? null : new JsonArray([.. names.Select(n => (JsonNode?)JsonValue.Create(n))]);
        var root = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = TaskType,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = Dropout,
            ["target_modules"] = Names(TargetModuleNames, TargetModulePattern),
            ["exclude_modules"] = Names(ExcludeModuleNames, ExcludeModulePattern),
            ["fan_in_fan_out"] = fanInFanOut,
            ["bias"] = "none",
            ["use_rslora"] = UseRsLora,
            ["use_dora"] = false,
            ["lora_bias"] = false,
            ["init_lora_weights"] = true,
            ["inference_mode"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(RankPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
            ["alpha_pattern"] = new JsonObject(AlphaPattern.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static bool NonEmpty(JsonNode node) => node switch
    {
        JsonArray array => array.Count > 0,
        JsonObject obj => obj.Count > 0,
        JsonValue value => value.GetValueKind() is not (JsonValueKind.Null or JsonValueKind.False),
        _ => false,
    };

    private static void Unsupported(JsonObject root, string path, string key, Func<JsonNode, bool> isSet, string why)
    {
        if (root.TryGetPropertyValue(key, out JsonNode? node) && node is not null && isSet(node))
            throw new InvalidDataException($"{path}: key '{key}' is {node.ToJsonString()}; {why}.");
    }

    private static string? String(JsonObject root, string key, string path)
    {
        if (!root.TryGetPropertyValue(key, out JsonNode? node) || node is null) return null;
        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>()
            : throw new InvalidDataException($"{path}: key '{key}' must be a string, got {node.ToJsonString()}.");
    }

    private static double? Number(JsonObject root, string key, string path)
    {
        if (!root.TryGetPropertyValue(key, out JsonNode? node) || node is null) return null;
        return node.GetValueKind() == JsonValueKind.Number ? node.GetValue<double>()
            : throw new InvalidDataException($"{path}: key '{key}' must be a number, got {node.ToJsonString()}.");
    }

    private static bool Bool(JsonObject root, string key, string path)
    {
        if (!root.TryGetPropertyValue(key, out JsonNode? node) || node is null) return false;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"{path}: key '{key}' must be true or false, got {node.ToJsonString()}."),
        };
    }

    private static (IReadOnlyList<string>? Names, string? Pattern) NamesOrPattern(JsonObject root, string key, string path)
    {
        if (!root.TryGetPropertyValue(key, out JsonNode? node) || node is null) return (null, null);
        if (node is JsonArray array)
        {
            var names = new List<string>();
            foreach (JsonNode? item in array)
                names.Add(item?.GetValueKind() == JsonValueKind.String ? item.GetValue<string>()
                    : throw new InvalidDataException($"{path}: key '{key}' must list strings, got {item?.ToJsonString() ?? "null"}."));
            return (names, null);
        }
        if (node.GetValueKind() == JsonValueKind.String)
        {
            string pattern = node.GetValue<string>();
            // PEFT expands the shorthand "all-linear" when it builds the model and saves the expanded list.
            if (pattern == "all-linear")
                throw new InvalidDataException($"{path}: key '{key}' is \"all-linear\"; list the module names (PEFT writes them when it saves an adapter).");
            try { _ = new Regex(pattern); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: key '{key}' is not a valid regular expression: {e.Message}", e); }
            return (null, pattern);
        }
        throw new InvalidDataException($"{path}: key '{key}' must be a list of names or a regular expression, got {node.ToJsonString()}.");
    }

    private static Dictionary<string, T> Patterns<T>(JsonObject root, string key, string path, Func<double, bool> valid, Func<double, T> convert)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (!root.TryGetPropertyValue(key, out JsonNode? node) || node is null) return result;
        if (node is not JsonObject patterns) throw new InvalidDataException($"{path}: key '{key}' must be an object, got {node.ToJsonString()}.");
        foreach (var (pattern, value) in patterns)
        {
            if (value?.GetValueKind() != JsonValueKind.Number || !valid(value.GetValue<double>()))
                throw new InvalidDataException($"{path}: key '{key}' has an invalid value for '{pattern}': {value?.ToJsonString() ?? "null"}.");
            result[pattern] = convert(value.GetValue<double>());
        }
        return result;
    }
}
