using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The safetensors weights of a classifier checkpoint: one <c>model.safetensors</c> or shards listed in
/// <c>model.safetensors.index.json</c>. Copies them tensor by tensor into a module's parameters.
/// </summary>
internal sealed class ClassifierCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, string> _fileOfKey;
    private readonly Dictionary<string, SafeTensorsFile> _open = new(StringComparer.Ordinal);

    private ClassifierCheckpoint(Dictionary<string, string> fileOfKey) => _fileOfKey = fileOfKey;

    /// <summary>Opens the weights of a checkpoint directory.</summary>
    /// <exception cref="FileNotFoundException">Neither weights file (nor a listed shard) exists.</exception>
    /// <exception cref="InvalidDataException">The index or a header is malformed; the message names the file.</exception>
    public static ClassifierCheckpoint Open(string directory)
    {
        string single = Path.Combine(directory, SingleFileName);
        string index = Path.Combine(directory, IndexFileName);
        var fileOfKey = new Dictionary<string, string>(StringComparer.Ordinal);
        var checkpoint = new ClassifierCheckpoint(fileOfKey);
        try
        {
            if (File.Exists(single))
            {
                SafeTensorsFile file = checkpoint.OpenFile(single);
                foreach (string key in file.Entries.Keys) fileOfKey[key] = single;
            }
            else if (File.Exists(index))
            {
                foreach ((string key, string shard) in ReadIndex(index))
                {
                    string path = Path.Combine(directory, shard);
                    if (!File.Exists(path))
                        throw new FileNotFoundException($"{index}: shard '{shard}' (holding '{key}') does not exist.", path);
                    fileOfKey[key] = path;
                }
            }
            else
            {
                string hint = File.Exists(Path.Combine(directory, "pytorch_model.bin"))
                    ? " Only safetensors weights are read; convert pytorch_model.bin, e.g. with transformers: model.save_pretrained(dir, safe_serialization=True)."
                    : "";
                throw new FileNotFoundException($"Checkpoint directory '{directory}' has neither {SingleFileName} nor {IndexFileName}.{hint}", single);
            }
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Every tensor name in the checkpoint.</summary>
    public IReadOnlyCollection<string> Keys => _fileOfKey.Keys;

    /// <summary>
    /// Copies every parameter of <paramref name="module"/> from the tensor <paramref name="keyOf"/> names,
    /// converting it to the parameter's type. Every checkpoint tensor must be used or <paramref name="ignorable"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, has the wrong shape, holds NaN or infinity,
    /// or is not a parameter of the model; the message names the file and the tensor.</exception>
    public void LoadInto(nn.Module module, Func<string, string> keyOf, Func<string, bool> ignorable)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        using (no_grad())
        {
            foreach ((string name, Parameter parameter) in module.named_parameters())
            {
                string key = keyOf(name);
                if (!_fileOfKey.TryGetValue(key, out string? path))
                    throw new InvalidDataException($"{Describe()}: tensor '{key}' is missing.");
                SafeTensorsFile file = OpenFile(path);
                if (!file.Entries.TryGetValue(key, out SafeTensorEntry? entry))
                    throw new InvalidDataException($"{path}: tensor '{key}' is missing (the index lists it in this file).");
                if (!entry.Shape.SequenceEqual(parameter.shape))
                    throw new InvalidDataException(
                        $"{path}: tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", parameter.shape)}].");
                using Tensor value = file.Read(key, parameter.dtype);
                if (value.is_floating_point() && !value.isfinite().all().item<bool>())
                    throw new InvalidDataException($"{path}: tensor '{key}' contains NaN or infinite values.");
                parameter.copy_(value);
                used.Add(key);
            }
        }
        foreach (string key in _fileOfKey.Keys)
        {
            if (!used.Contains(key) && !ignorable(key))
                throw new InvalidDataException($"{_fileOfKey[key]}: tensor '{key}' is not a parameter of {module.GetName()}.");
        }
    }

    public void Dispose()
    {
        foreach (SafeTensorsFile file in _open.Values) file.Dispose();
        _open.Clear();
    }

    private string Describe() =>
        _open.Count == 1 && _fileOfKey.Values.Distinct().Count() == 1 ? _open.Keys.First() : "checkpoint " + string.Join(", ", _fileOfKey.Values.Distinct());

    private SafeTensorsFile OpenFile(string path)
    {
        if (!_open.TryGetValue(path, out SafeTensorsFile? file))
        {
            file = SafeTensorsFile.Open(path);
            _open.Add(path, file);
        }
        return file;
    }

    private static IEnumerable<KeyValuePair<string, string>> ReadIndex(string path)
    {
        JsonObject map;
        try
        {
            map = (JsonNode.Parse(File.ReadAllText(path)) as JsonObject)?["weight_map"] as JsonObject
                  ?? throw new InvalidDataException($"{path}: 'weight_map' is missing or not an object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
        var result = new List<KeyValuePair<string, string>>();
        foreach ((string key, JsonNode? node) in map)
        {
            string shard = node is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrEmpty(s)
                ? s : throw new InvalidDataException($"{path}: weight_map['{key}'] must be a file name.");
            if (Path.GetFileName(shard) != shard)
                throw new InvalidDataException($"{path}: weight_map['{key}'] = '{shard}' must name a file in the checkpoint directory.");
            result.Add(new(key, shard));
        }
        return result;
    }
}
