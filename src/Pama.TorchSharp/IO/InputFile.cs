using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.IO;

/// <summary>
/// Reads small input files (configurations, tokenizer files) whole, after checking their size: a file far larger than its
/// kind ever is (a wrong path, a damaged disk) is refused with a message naming it instead of exhausting memory.
/// </summary>
internal static class InputFile
{
    /// <summary>Largest JSON configuration read (real ones are a few kilobytes).</summary>
    public const long MaxConfigBytes = 16L << 20;

    /// <summary>Largest tokenizer file read (GPT-2's vocab.json is 1 MB; the largest tokenizer.json files are tens of MB).</summary>
    public const long MaxTokenizerBytes = 256L << 20;

    /// <summary>Reads <paramref name="path"/> if it holds at most <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="path">File to read.</param>
    /// <param name="maxBytes">Size limit.</param>
    /// <param name="kind">What the file is, for the message (e.g. "GPT-2 config file").</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string kind)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{kind} '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > maxBytes)
            throw new InvalidDataException($"{path}: {stream.Length:N0} bytes is far larger than a {kind} can be (at most {maxBytes:N0}).");
        byte[] bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// Reads a JSON file whose top level is an object, strictly: at most <paramref name="maxBytes"/> bytes, valid UTF-8,
    /// valid JSON, no duplicate keys. Every failure is an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is too large, not UTF-8, not JSON, not an object, or repeats a key.</exception>
    public static JsonObject ReadJsonObject(string path, long maxBytes, string kind)
    {
        byte[] bytes = ReadAllBytes(path, maxBytes, kind);
        try
        {
            // Strict UTF-8 first: JsonNode would otherwise defer invalid bytes inside strings to the first read of that key.
            string text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            JsonObject root = JsonNode.Parse(text) as JsonObject
                              ?? throw new InvalidDataException($"{path}: the top level must be a JSON object.");
            _ = root.Count; // JsonObject builds its dictionary lazily; duplicate keys surface here.
            CheckStrings(path, root);
            return root;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            // JsonException: malformed JSON; ArgumentException (DecoderFallbackException): not UTF-8; duplicate keys.
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    private static string Where(JsonNode? node)
    {
        try
        {
            return node?.GetPath() ?? "$";
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return "a place whose path cannot be shown";
        }
    }

    /// <summary>
    /// Reads every string and key of <paramref name="node"/> once. JSON may escape a lone UTF-16 surrogate (<c>"\ud800"</c>), which
    /// is valid JSON text but no string .NET can return: JsonNode would throw <see cref="InvalidOperationException"/> at the first
    /// read of that value, wherever that is. Nested objects build their dictionaries here too, so a repeated key anywhere surfaces now.
    /// </summary>
    /// <exception cref="InvalidDataException">A string or key is not valid Unicode, or an object repeats a key; the message names the
    /// file and where in it.</exception>
    private static void CheckStrings(string path, JsonNode? node)
    {
        try
        {
            switch (node)
            {
                case JsonObject map:
                    foreach (KeyValuePair<string, JsonNode?> property in map) CheckStrings(path, property.Value);
                    break;
                case JsonArray list:
                    foreach (JsonNode? item in list) CheckStrings(path, item);
                    break;
                case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                    _ = value.GetValue<string>();
                    break;
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // InvalidOperationException: a lone surrogate; ArgumentException: a key repeated in a nested object.
            throw new InvalidDataException($"{path}: {(e is ArgumentException ? "an object repeats a key" : "a string or key is not valid Unicode (an escaped lone surrogate such as \\ud800?)")} " +
                                           $"at {Where(node)} ({e.Message}).", e);
        }
    }
}
