using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A checkpoint's <c>tokenizer_config.json</c> (and <c>special_tokens_map.json</c> for keys it lacks): special
/// tokens, <c>added_tokens_decoder</c>, <c>add_bos_token</c> / <c>add_eos_token</c>, padding side and maximum length.
/// Special tokens may be written as strings or as objects with a <c>content</c> key.
/// </summary>
internal sealed class TokenizerConfigFile
{
    public const string FileName = "tokenizer_config.json";
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    // transformers writes int(1e30) as model_max_length when a tokenizer has no limit.
    private const double UnlimitedLength = 1e15;

    private readonly JsonObject _config;
    private readonly JsonObject _specialMap;

    private TokenizerConfigFile(string path, JsonObject config, JsonObject specialMap)
    {
        Path = path;
        _config = config;
        _specialMap = specialMap;
    }

    /// <summary>Path of <c>tokenizer_config.json</c> (which may not exist).</summary>
    public string Path { get; }

    /// <summary>Reads the files of a directory; missing files read as empty.</summary>
    public static TokenizerConfigFile Load(string directory)
    {
        string path = System.IO.Path.Combine(directory, FileName);
        return new TokenizerConfigFile(path, ReadObject(path), ReadObject(System.IO.Path.Combine(directory, SpecialTokensMapFileName)));
    }

    /// <summary><c>tokenizer_class</c>, if any.</summary>
    public string? TokenizerClass => String(_config, "tokenizer_class");

    /// <summary>The content of a special token key (<c>bos_token</c>, <c>eos_token</c>, ...), or <c>null</c>.</summary>
    public string? SpecialToken(string key)
    {
        if (_config.ContainsKey(key)) return TokenContent(_config[key], key);
        return _specialMap.ContainsKey(key) ? TokenContent(_specialMap[key], key) : null;
    }

    /// <summary>A boolean option, or <paramref name="fallback"/> where it is absent or null.</summary>
    public bool Flag(string key, bool fallback) => _config[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var other => throw new InvalidDataException($"{Path}: '{key}' must be true or false, got {other.ToJsonString()}."),
    };

    /// <summary><c>padding_side</c> (default right).</summary>
    public PaddingSide PaddingSide => String(_config, "padding_side") switch
    {
        null or "right" => PaddingSide.Right,
        "left" => PaddingSide.Left,
        var other => throw new InvalidDataException($"{Path}: 'padding_side' must be 'left' or 'right', got '{other}'."),
    };

    /// <summary><c>model_max_length</c>, or <c>null</c> where it is absent or transformers' "no limit" value.</summary>
    public int? MaxLength => _config["model_max_length"] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out double d) => d >= UnlimitedLength || d > int.MaxValue ? null
            : d >= 1 ? (int)d : throw new InvalidDataException($"{Path}: 'model_max_length' must be positive, got {d}."),
        var other => throw new InvalidDataException($"{Path}: 'model_max_length' must be a number, got {other.ToJsonString()}."),
    };

    /// <summary>The tokens of <c>added_tokens_decoder</c>: id → (content, special).</summary>
    public IReadOnlyList<(int Id, string Content, bool Special)> AddedTokens()
    {
        var result = new List<(int, string, bool)>();
        if (_config["added_tokens_decoder"] is not JsonObject decoder) return result;
        foreach ((string key, JsonNode? node) in decoder)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id == int.MaxValue)
                throw new InvalidDataException($"{Path}: added_tokens_decoder key '{key}' is not a token id.");
            string content = TokenContent(node, $"added_tokens_decoder['{key}']")
                             ?? throw new InvalidDataException($"{Path}: added_tokens_decoder['{key}'] has no content.");
            bool special = node is JsonObject o && o["special"] is JsonValue s && s.TryGetValue(out bool b) && b;
            result.Add((id, content, special));
        }
        return result;
    }

    private string? TokenContent(JsonNode? node, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue(out string? s) => s,
        _ => throw new InvalidDataException($"{Path}: '{key}' must be a token string or an object with 'content', got {node.ToJsonString()}."),
    };

    private string? String(JsonObject root, string key) => root[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw new InvalidDataException($"{Path}: '{key}' must be a string, got {other.ToJsonString()}."),
    };

    private static JsonObject ReadObject(string path)
    {
        if (!File.Exists(path)) return new JsonObject();
        return IO.InputFile.ReadJsonObject(path, IO.InputFile.MaxTokenizerBytes, "tokenizer config");
    }
}
