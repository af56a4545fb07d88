using System.Text.Json;
using Pama.TorchSharp.IO;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Writes weights in the Hugging Face layout that <see cref="CheckpointReader"/> and <c>transformers</c> read:
/// one <c>model.safetensors</c>, or <c>model-0000i-of-0000n.safetensors</c> shards plus
/// <c>model.safetensors.index.json</c> when the weights exceed the shard size.
/// </summary>
internal static class CheckpointWriter
{
    /// <summary>Default shard size: 5 GB, as <c>transformers</c> 4 used.</summary>
    public const long DefaultMaxShardBytes = 5_000_000_000;

    /// <summary>
    /// Writes the tensors, in order, into one file or into shards of at most <paramref name="maxShardBytes"/>
    /// (a larger tensor gets a shard of its own). Each file is written atomically; the index comes last.
    /// Weight files of the other layout left from an earlier save are removed afterwards, so the directory
    /// holds exactly one set of weights.
    /// </summary>
    /// <param name="directory">Destination directory; created if needed.</param>
    /// <param name="tensors">Tensors by Hugging Face name, on any device, copied to the CPU one at a time.</param>
    /// <param name="maxShardBytes">Largest shard size in bytes; positive.</param>
    /// <exception cref="ArgumentException">A name repeats or is empty.</exception>
    public static void Save(string directory, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };

        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long current = 0, total = 0;
        foreach (var item in tensors)
        {
            long bytes = item.Value.numel() * item.Value.ElementSize;
            if (current > 0 && current + bytes > maxShardBytes)
            {
                shards.Add([]);
                current = 0;
            }
            shards[^1].Add(item);
            current += bytes;
            total += bytes;
        }

        string single = Path.Combine(directory, CheckpointReader.SingleFileName);
        string index = Path.Combine(directory, CheckpointReader.IndexFileName);
        if (shards.Count == 1)
        {
            SafeTensors.Save(single, shards[0], metadata);
            DeleteIfExists(index);
            foreach (string stale in Directory.EnumerateFiles(directory, "model-*-of-*.safetensors")) File.Delete(stale);
            return;
        }

        var names = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            names.Add(name);
            SafeTensors.Save(Path.Combine(directory, name), shards[i], metadata);
            foreach (var item in shards[i]) weightMap[item.Key] = name;
        }
        AtomicFile.Write(index, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", total);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (tensor, shard) in weightMap) json.WriteString(tensor, shard);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        DeleteIfExists(single);
        foreach (string stale in Directory.EnumerateFiles(directory, "model-*-of-*.safetensors"))
        {
            if (!names.Contains(Path.GetFileName(stale))) File.Delete(stale);
        }
    }

    private static void DeleteIfExists(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }
}
