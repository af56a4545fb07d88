using Pama.TorchSharp.Tensors;
using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The weights of a Hugging Face checkpoint directory: one <c>model.safetensors</c>, or shards listed in
/// <c>model.safetensors.index.json</c>. Every header is read and validated when the directory is opened;
/// tensors are then read one at a time, so loading a model holds the model plus one tensor, never two models.
/// </summary>
/// <remarks>Errors name the file and the tensor or key. Any model family can load through <see cref="LoadInto"/>.</remarks>
internal sealed class CheckpointReader : IDisposable
{
    /// <summary>File name of single-file weights.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>File name of the index of sharded weights.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafeTensorsFile> _fileOf;
    private readonly List<SafeTensorsFile> _files;
    private readonly List<string> _names;

    private CheckpointReader(string directory, bool sharded, List<SafeTensorsFile> files, Dictionary<string, SafeTensorsFile> fileOf, List<string> names)
    {
        Directory = directory;
        IsSharded = sharded;
        _files = files;
        _fileOf = fileOf;
        _names = names;
    }

    /// <summary>The checkpoint directory.</summary>
    public string Directory { get; }

    /// <summary>Whether the weights are sharded (read through <see cref="IndexFileName"/>).</summary>
    public bool IsSharded { get; }

    /// <summary>Every tensor name, in file order (shard by shard).</summary>
    public IReadOnlyList<string> TensorNames => _names;

    /// <summary>Opens the weights of a checkpoint directory and validates every header.</summary>
    /// <param name="directory">Checkpoint directory.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">There are no safetensors weights, or a shard named in the index is missing
    /// (the message names the index, the shard and a tensor in it).</exception>
    /// <exception cref="InvalidDataException">The index or a header is malformed, a tensor appears in two shards, or the
    /// index lists a tensor its shard lacks; the message names the file and the tensor or key.</exception>
    public static CheckpointReader Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"Checkpoint directory '{directory}' does not exist.");
        string single = Path.Combine(directory, SingleFileName);
        string index = Path.Combine(directory, IndexFileName);
        if (File.Exists(single))
        {
            SafeTensorsFile file = SafeTensorsFile.Open(single);
            return new CheckpointReader(directory, false, [file], file.Entries.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal), [.. file.Entries.Keys]);
        }
        if (File.Exists(index)) return OpenSharded(directory, index);

        string hint = File.Exists(Path.Combine(directory, "pytorch_model.bin")) || File.Exists(Path.Combine(directory, "pytorch_model.bin.index.json"))
            ? " Only safetensors weights are read; convert pytorch_model.bin, e.g. with transformers: model.save_pretrained(dir, safe_serialization=True)."
            : "";
        throw new FileNotFoundException($"Checkpoint directory '{directory}' has neither {SingleFileName} nor {IndexFileName}.{hint}", single);
    }

    /// <summary>Opens one safetensors file as a checkpoint (for files outside the directory layout).</summary>
    /// <param name="path">The safetensors file.</param>
    public static CheckpointReader OpenFile(string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Open(path);
        return new CheckpointReader(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", false, [file],
            file.Entries.Keys.ToDictionary(k => k, _ => file, StringComparer.Ordinal), [.. file.Entries.Keys]);
    }

    /// <summary>Whether the checkpoint holds a tensor of this name.</summary>
    public bool Contains(string name) => _fileOf.ContainsKey(name);

    /// <summary>The header entry (type, shape, offsets) of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    public SafeTensorEntry Entry(string name) => FileOf(name).Entries[name];

    /// <summary>Path of the file that holds a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    public string PathOf(string name) => FileOf(name).Path;

    /// <summary>Reads one tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="dtype">Element type to convert to; <c>null</c> keeps the stored type.</param>
    /// <param name="device">Device to place it on; <c>null</c> means CPU.</param>
    /// <returns>A new tensor owned by the caller.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has this name.</exception>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null) => FileOf(name).Read(name, dtype, device);

    /// <summary>
    /// Fills every parameter of <paramref name="module"/> from the checkpoint, converting each tensor to the
    /// parameter's type and device. All names and shapes are checked before any data is read.
    /// </summary>
    /// <param name="module">The module to fill; its <see cref="nn.Module.named_parameters(bool)"/> names are looked up.</param>
    /// <param name="keyOf">Maps a parameter name to the checkpoint key that holds it, or <c>null</c> when the checkpoint lacks it.
    /// <c>null</c> means the parameter name itself.</param>
    /// <param name="ignorable">Checkpoint keys that may be left unused (e.g. a tied output layer); <c>null</c> means none.</param>
    /// <param name="allOrNothing"><c>true</c> (the default): every tensor is read and checked into fresh tensors before the first
    /// parameter changes, so on failure the module is exactly as it was (at the cost of a second copy of the weights while loading).
    /// <c>false</c>: tensors stream into the parameters one at a time (one tensor of extra memory); use it for a module
    /// that is discarded on failure, such as one just built to be loaded.</param>
    /// <exception cref="InvalidDataException">A parameter is missing, a shape differs, a value is not finite, or the checkpoint
    /// holds a tensor the module does not use; the message names the file and the tensor. With
    /// <paramref name="allOrNothing"/> <c>false</c> the module may then hold a mixture of old and new values: dispose it.</exception>
    public void LoadInto(nn.Module module, Func<string, string?>? keyOf = null, Func<string, bool>? ignorable = null, bool allOrNothing = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        keyOf ??= name => Contains(name) ? name : null;
        var plan = new List<(string Key, Parameter Parameter)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, Parameter parameter) in module.named_parameters())
        {
            string key = keyOf(name) is { } k && Contains(k) ? k
                : throw new InvalidDataException($"{Describe()}: tensor '{name}' is missing from the checkpoint.");
            SafeTensorEntry entry = Entry(key);
            if (!entry.Shape.SequenceEqual(parameter.shape))
                throw new InvalidDataException(
                    $"{PathOf(key)}: tensor '{key}' has shape [{string.Join(", ", entry.Shape)}], the model expects [{string.Join(", ", parameter.shape)}].");
            if (!used.Add(key))
                throw new InvalidDataException($"{PathOf(key)}: tensor '{key}' would fill two parameters.");
            plan.Add((key, parameter));
        }
        foreach (string key in _names)
        {
            if (!used.Contains(key) && !(ignorable?.Invoke(key) ?? false))
                throw new InvalidDataException($"{PathOf(key)}: tensor '{key}' is not a parameter of this {module.GetName()} model.");
        }

        using var noGrad = no_grad();
        var fresh = new List<(Parameter Parameter, Tensor Value)>();
        try
        {
            foreach ((string key, Parameter parameter) in plan)
            {
                if (!allOrNothing)
                {
                    // A new model, thrown away on failure: read straight into the parameter, no second copy.
                    FileOf(key).ReadInto(key, parameter);
                    if (parameter.is_floating_point() && !AllFinite(parameter))
                        throw new InvalidDataException($"{PathOf(key)}: tensor '{key}' contains NaN or infinite values.");
                    continue;
                }
                Tensor value = Read(key, parameter.dtype, parameter.device);
                fresh.Add((parameter, value));
                if (value.is_floating_point() && !AllFinite(value))
                    throw new InvalidDataException($"{PathOf(key)}: tensor '{key}' contains NaN or infinite values.");
            }
            // Everything read and checked: only now do the parameters change.
            foreach ((Parameter parameter, Tensor value) in fresh) parameter.copy_(value);
        }
        finally
        {
            foreach ((_, Tensor value) in fresh) value.Dispose();
        }
    }

    /// <summary>
    /// Refuses a configuration whose parameters could not possibly be in these weights, before a model is built from it:
    /// every parameter is stored here, taking at least the element size of the smallest type the files use. A config
    /// claiming a hidden size of 10⁹ therefore fails here, not in libtorch's allocator. The gate allows twice the stored
    /// size (plus 1 MiB) so that a near miss (a missing tensor, a wrong width) reaches <see cref="LoadInto"/>'s
    /// tensor-by-tensor check and its precise message; what the constructor allocates stays bounded by the files.
    /// </summary>
    /// <param name="parameterCount">The number of parameters the configuration implies.</param>
    /// <param name="configPath">The configuration file, named in the message.</param>
    /// <exception cref="InvalidDataException">The configuration implies far more parameters than the files hold.</exception>
    public void RequireRoomFor(long parameterCount, string configPath)
    {
        var entries = _names.Select(Entry).ToList();
        long storedBytes = entries.Sum(e => e.ByteLength);
        int smallestElement = entries.Select(e => SafeTensorsFormat.TryGetType(e.DataType, out _, out int size) ? size : 1).DefaultIfEmpty(1).Min();
        if (parameterCount > (2 * storedBytes + (1L << 20)) / smallestElement)
            throw new InvalidDataException(
                $"{configPath}: the configuration describes {parameterCount:N0} parameters, but the weights ({Describe()}) hold only " +
                $"{storedBytes:N0} bytes of tensors; the config does not belong to these weights (or a size in it is wrong).");
    }

    /// <summary>Checks finiteness in slices, so the check needs a small mask rather than one the size of the tensor.</summary>
    private static bool AllFinite(Tensor tensor)
    {
        const long slice = 1L << 24;
        using Tensor flat = tensor.detach().reshape(-1);
        for (long start = 0; start < flat.shape[0]; start += slice)
        {
            using Tensor part = flat.narrow(0, start, Math.Min(slice, flat.shape[0] - start));
            using Tensor finite = part.isfinite().all();
            if (!HostReads.Bool(finite)) return false;
        }
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (SafeTensorsFile file in _files) file.Dispose();
    }

    private SafeTensorsFile FileOf(string name) =>
        _fileOf.TryGetValue(name, out SafeTensorsFile? file) ? file : throw new KeyNotFoundException($"{Describe()}: no tensor named '{name}'.");

    private string Describe() => IsSharded ? Path.Combine(Directory, IndexFileName) : _files[0].Path;

    private static CheckpointReader OpenSharded(string directory, string index)
    {
        Dictionary<string, string> weightMap = ReadWeightMap(index);
        var files = new List<SafeTensorsFile>();
        try
        {
            var byShard = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            var fileOf = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach ((string tensor, string shard) in weightMap)
            {
                if (!byShard.TryGetValue(shard, out SafeTensorsFile? file))
                {
                    string shardPath = Path.Combine(directory, shard);
                    if (!File.Exists(shardPath))
                        throw new FileNotFoundException($"{index}: shard '{shard}' (holding tensor '{tensor}') does not exist.", shardPath);
                    file = SafeTensorsFile.Open(shardPath);
                    files.Add(file);
                    byShard.Add(shard, file);
                }
                if (!file.Entries.ContainsKey(tensor))
                    throw new InvalidDataException($"{index}: tensor '{tensor}' is mapped to '{shard}', which does not hold it.");
                fileOf.Add(tensor, file);
            }
            if (files.Count == 0) throw new InvalidDataException($"{index}: 'weight_map' lists no tensors.");
            // File order, shard by shard, so reads go through each shard front to back.
            var names = files.SelectMany(f => f.Entries.Keys.Where(k => fileOf.TryGetValue(k, out var owner) && owner == f)).ToList();
            return new CheckpointReader(directory, true, files, fileOf, names);
        }
        catch
        {
            foreach (SafeTensorsFile file in files) file.Dispose();
            throw;
        }
    }

    private static Dictionary<string, string> ReadWeightMap(string index)
    {
        // The index is a few hundred kilobytes even for the largest models; a bounded, strict read keeps a damaged one harmless.
        System.Text.Json.Nodes.JsonObject root = IO.InputFile.ReadJsonObject(index, IO.InputFile.MaxConfigBytes, "safetensors index");
        var document = JsonDocument.Parse(root.ToJsonString());
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{index}: missing object 'weight_map'.");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string? shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                if (string.IsNullOrEmpty(shard) || Path.GetFileName(shard) != shard)
                    throw new InvalidDataException($"{index}: weight_map entry '{entry.Name}' must name a shard file in the same directory, got {entry.Value.GetRawText()}.");
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw new InvalidDataException($"{index}: tensor '{entry.Name}' appears twice in weight_map.");
            }
            return weightMap;
        }
    }
}
