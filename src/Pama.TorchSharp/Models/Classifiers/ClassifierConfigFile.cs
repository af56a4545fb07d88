using System.Globalization;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Reads a Hugging Face classifier's <c>config.json</c>: typed values with errors that name the file and
/// the key, plus the label names (<c>id2label</c> / <c>num_labels</c>) every classifier shares.
/// </summary>
internal sealed class ClassifierConfigFile
{
    private readonly JsonObject _root;
    private readonly JsonConfigReader _values;

    private ClassifierConfigFile(string path, JsonObject root)
    {
        _root = root;
        _values = JsonConfigReader.Over(path, root);
    }

    /// <summary>The file read.</summary>
    public string Path => _values.Path;

    /// <summary>Parses the file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a JSON object.</exception>
    public static ClassifierConfigFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Config file '{path}' does not exist.", path);
        return new ClassifierConfigFile(path, IO.InputFile.ReadJsonObject(path, IO.InputFile.MaxConfigBytes, "model config"));
    }

    public string? OptionalString(string key) => _values.OptionalString(key);

    public int? OptionalInt(string key) => _values.OptionalInt(key);

    public int RequiredInt(string key) => _values.RequiredInt(key);

    public double? OptionalDouble(string key) => _values.OptionalDouble(key);

    public bool? OptionalBool(string key) => _values.OptionalBool(key);

    /// <summary>
    /// The pad token id. Configs may hold a list for <c>eos_token_id</c>-like keys; a list is not accepted here.
    /// </summary>
    public int? PadTokenId => OptionalInt("pad_token_id");

    /// <summary>
    /// Label names in id order: <c>id2label</c> where present (ids must be 0..n-1), otherwise <c>LABEL_i</c>
    /// for <c>num_labels</c> labels (2 where the config names neither, as transformers does).
    /// </summary>
    public IReadOnlyList<string> Labels()
    {
        int? count = OptionalInt("num_labels") ?? OptionalInt("_num_labels");
        if (Value("id2label") is JsonObject map)
        {
            var labels = new string?[map.Count];
            foreach ((string key, JsonNode? node) in map)
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id < 0 || id >= map.Count)
                    throw new InvalidDataException($"{Path}: id2label key '{key}' is not an id in [0, {map.Count}).");
                labels[id] = node is JsonValue v && v.TryGetValue(out string? name) ? name
                    : throw new InvalidDataException($"{Path}: id2label['{key}'] must be a string.");
            }
            if (count is { } n && n != labels.Length)
                throw new InvalidDataException($"{Path}: num_labels is {n} but id2label names {labels.Length} labels.");
            return labels!;
        }
        if (Value("id2label") is { } other) throw _values.Error("id2label", $"must be an object, got {other.ToJsonString()}.");
        int labelCount = count ?? 2;
        if (labelCount < 1) throw new InvalidDataException($"{Path}: num_labels must be at least 1, got {labelCount}.");
        return Enumerable.Range(0, labelCount).Select(i => $"LABEL_{i}").ToArray();
    }

    private JsonNode? Value(string key) => _root.TryGetPropertyValue(key, out JsonNode? node) ? node : null;
}
