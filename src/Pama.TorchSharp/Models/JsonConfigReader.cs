using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Typed reads from a Hugging Face <c>config.json</c> (or one of its nested objects) with errors that name
/// the file and the key. A key present with value <c>null</c> counts as absent, as in Hugging Face configs.
/// </summary>
internal sealed class JsonConfigReader
{
    private readonly JsonObject _root;
    private readonly string _prefix;
    private readonly bool _allowIntegralReals;

    private JsonConfigReader(string path, JsonObject root, string prefix, bool allowIntegralReals)
    {
        Path = path;
        _root = root;
        _prefix = prefix;
        _allowIntegralReals = allowIntegralReals;
    }

    /// <summary>The file the values come from.</summary>
    public string Path { get; }

    /// <summary>Parses a config file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="kind">What the file is, for the messages about unreadable files.</param>
    /// <param name="allowIntegralReals">Whether integer keys also accept a whole number written as a real
    /// (<c>4096.0</c>), which some exported Llama-family configs contain; GPT-2 configs take integers only.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object.</exception>
    public static JsonConfigReader Open(string path, string kind = "model config", bool allowIntegralReals = true)
    {
        return new JsonConfigReader(path, IO.InputFile.ReadJsonObject(path, IO.InputFile.MaxConfigBytes, kind), "", allowIntegralReals);
    }

    /// <summary>Reads from an already parsed config.</summary>
    /// <param name="path">The file it came from, named in messages.</param>
    /// <param name="root">Its top-level object.</param>
    public static JsonConfigReader Over(string path, JsonObject root) => new(path, root, "", allowIntegralReals: true);

    /// <summary>Whether the key is present with a non-null value.</summary>
    public bool Has(string key) => Value(key) is not null;

    public int RequiredInt(string key) => OptionalInt(key) ?? throw Missing(key);

    public int? OptionalInt(string key)
    {
        if (Value(key) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out int value)) return value;
        if (_allowIntegralReals && node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out double real)
            && real == Math.Floor(real) && Math.Abs(real) <= int.MaxValue)
            return (int)real;
        throw WrongType(key, "an integer", node);
    }

    public double? OptionalDouble(string key)
    {
        if (Value(key) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue(out double value) && double.IsFinite(value)) return value;
        throw WrongType(key, "a finite number", node);
    }

    public string? OptionalString(string key)
    {
        if (Value(key) is not { } node) return null;
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        throw WrongType(key, "a string", node);
    }

    public bool? OptionalBool(string key)
    {
        if (Value(key) is not { } node) return null;
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(key, "true or false", node),
        };
    }

    /// <summary>An integer or a list of integers (e.g. Llama 3's several <c>eos_token_id</c>s); empty when absent.</summary>
    public int[] OptionalIntList(string key)
    {
        if (Value(key) is not { } node) return [];
        if (node is JsonArray array)
        {
            var values = new int[array.Count];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = array[i] is JsonValue item && item.GetValueKind() == JsonValueKind.Number && item.TryGetValue(out int v)
                    ? v
                    : throw WrongType(key, "an integer or a list of integers", node);
            }
            return values;
        }
        return [OptionalInt(key)!.Value];
    }

    /// <summary>A list of strings (e.g. <c>layer_types</c>); <c>null</c> when absent.</summary>
    public string[]? OptionalStringList(string key)
    {
        if (Value(key) is not { } node) return null;
        if (node is not JsonArray array) throw WrongType(key, "a list of strings", node);
        return array.Select(item => item is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw WrongType(key, "a list of strings", node)).ToArray();
    }

    /// <summary>A nested object, read with the same error messages (keys shown as <c>outer.inner</c>); <c>null</c> when absent.</summary>
    public JsonConfigReader? OptionalObject(string key)
    {
        if (Value(key) is not { } node) return null;
        return node is JsonObject inner ? new JsonConfigReader(Path, inner, Name(key) + ".", _allowIntegralReals) : throw WrongType(key, "an object", node);
    }

    /// <summary>The full key name as shown in messages (<c>rope_parameters.factor</c>).</summary>
    public string Name(string key) => _prefix + key;

    /// <summary>An error that names the file and the key.</summary>
    public InvalidDataException Error(string key, string problem) => new($"{Path}: key '{Name(key)}' {problem}");

    // A key that is present with value null counts as absent, as in Hugging Face configs ("n_inner": null).
    private JsonNode? Value(string key) => _root.TryGetPropertyValue(key, out JsonNode? node) ? node : null;

    private InvalidDataException Missing(string key) => new($"{Path}: required key '{Name(key)}' is missing.");

    private InvalidDataException WrongType(string key, string expected, JsonNode node) =>
        new($"{Path}: key '{Name(key)}' must be {expected}, got {node.ToJsonString()}.");
}
