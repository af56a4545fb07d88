using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.IO;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>Whole-file helpers for the safetensors format; see <see cref="SafeTensorsFile"/> for the layout.</summary>
public static class SafeTensors
{
    /// <summary>Loads every tensor of a file.</summary>
    /// <param name="path">File to read.</param>
    /// <param name="dtype">Element type to convert every tensor to; <c>null</c> keeps the stored types.</param>
    /// <param name="device">Device for the tensors; <c>null</c> means CPU.</param>
    /// <returns>Tensors by name, owned by the caller.</returns>
    public static Dictionary<string, Tensor> Load(string path, ScalarType? dtype = null, Device? device = null)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (string name in file.Entries.Keys)
                tensors.Add(name, file.Read(name, dtype, device));
        }
        catch
        {
            foreach (Tensor t in tensors.Values) t.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>
    /// Writes tensors to a safetensors file atomically: the bytes go to a temporary file in the same
    /// directory, which then replaces <paramref name="path"/>, so readers never see a partial file.
    /// </summary>
    /// <param name="path">Destination file.</param>
    /// <param name="tensors">Tensors to store, in this order; any device, copied to CPU one at a time.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map.</param>
    /// <exception cref="ArgumentException">Two tensors share a name, or a name is empty or reserved.</exception>
    /// <exception cref="NotSupportedException">A tensor's element type has no safetensors code.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Writing safetensors requires a little-endian machine.");
        List<KeyValuePair<string, Tensor>> items = tensors.ToList();
        byte[] header = BuildHeader(path, items, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in items)
            {
                using var scope = NewDisposeScope();
                Tensor cpu = HostReads.Host(tensor);
                if (cpu.numel() > 0) stream.Write(cpu.bytes);
            }
        });
    }

    private static byte[] BuildHeader(string path, List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__")
                    throw new ArgumentException($"{path}: tensor name '{name}' is empty or reserved.", nameof(items));
                if (!names.Add(name))
                    throw new ArgumentException($"{path}: tensor name '{name}' appears twice.", nameof(items));
                long length = checked(tensor.numel() * tensor.ElementSize);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorsFormat.CodeOf(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces to a multiple of 8 bytes so the data section is aligned.
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        byte[] header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        header.AsSpan((int)buffer.Length).Fill((byte)' ');
        return header;
    }
}
