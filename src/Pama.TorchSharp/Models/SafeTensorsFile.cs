using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Reads tensors from a <a href="https://github.com/huggingface/safetensors">safetensors</a> file one at a
/// time, so that loading a checkpoint never holds more than one tensor's bytes in managed memory.
/// </summary>
/// <remarks>
/// Layout: an unsigned 64-bit little-endian header length <c>N</c>, then <c>N</c> bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>,
/// then the data section, in which every tensor is stored contiguously, row-major and little-endian
/// at <c>[begin, end)</c>. The whole header is validated when the file is opened.
/// </remarks>
internal sealed class SafeTensorsFile : IDisposable
{
    private const string MetadataKey = "__metadata__";

    private readonly FileStream _stream;
    private readonly long _dataStart;

    private SafeTensorsFile(string path, FileStream stream, long dataStart,
        IReadOnlyDictionary<string, SafeTensorEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>The file's path, as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Header entries by tensor name, in file order.</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    /// <summary>The optional <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens a safetensors file and validates its header.</summary>
    /// <param name="path">File to read.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed, or an entry's dtype, shape or offsets are
    /// inconsistent with each other or with the file's length; the message names the file and the tensor.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading safetensors requires a little-endian machine.");
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            (var entries, var metadata, long dataStart) = ReadHeader(path, stream);
            return new SafeTensorsFile(path, stream, dataStart, entries, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads one tensor.</summary>
    /// <param name="name">Tensor name as stored in the header.</param>
    /// <param name="dtype">Element type to convert to; <c>null</c> keeps the stored type.</param>
    /// <param name="device">Device to place the tensor on; <c>null</c> means CPU.</param>
    /// <returns>A new tensor owned by the caller.</returns>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null)
    {
        SafeTensorEntry entry = Find(name);
        SafeTensorsFormat.TryGetType(entry.DataType, out ScalarType storedType, out _);
        Tensor tensor = empty(entry.Shape.ToArray(), storedType);
        try
        {
            Fill(entry, tensor);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        if (dtype is { } wanted && wanted != storedType)
        {
            Tensor converted = tensor.to_type(wanted);
            tensor.Dispose();
            tensor = converted;
        }
        if (device is { } target && target.type != DeviceType.CPU)
        {
            Tensor moved = tensor.to(target);
            tensor.Dispose();
            tensor = moved;
        }
        return tensor;
    }

    /// <summary>
    /// Reads one tensor into <paramref name="destination"/>, converting its type and device. When the destination is a
    /// contiguous CPU tensor of the stored type the bytes go straight into its memory, with no intermediate copy.
    /// </summary>
    /// <param name="name">Tensor name as stored in the header.</param>
    /// <param name="destination">Tensor of the stored shape, any floating type and device; overwritten.</param>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    /// <exception cref="ArgumentException">The destination's shape differs from the stored shape.</exception>
    public void ReadInto(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        SafeTensorEntry entry = Find(name);
        if (!entry.Shape.SequenceEqual(destination.shape))
            throw new ArgumentException(
                $"{Path}: tensor '{name}' has shape [{string.Join(", ", entry.Shape)}], the destination [{string.Join(", ", destination.shape)}].", nameof(destination));
        SafeTensorsFormat.TryGetType(entry.DataType, out ScalarType storedType, out _);
        if (destination.dtype == storedType && destination.device_type == DeviceType.CPU && destination.is_contiguous())
        {
            Fill(entry, destination);
            return;
        }
        using Tensor stored = empty(entry.Shape.ToArray(), storedType);
        Fill(entry, stored);
        using (no_grad()) destination.copy_(stored);
    }

    private SafeTensorEntry Find(string name)
    {
        ObjectDisposedException.ThrowIf(!_stream.CanRead, this);
        return Entries.TryGetValue(name, out SafeTensorEntry? entry)
            ? entry
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");
    }

    /// <summary>Reads an entry's bytes into a contiguous CPU tensor of its type, in chunks of at most 64 MB,
    /// straight into the tensor's memory (so tensors above 2 GB read too).</summary>
    private void Fill(SafeTensorEntry entry, Tensor destination)
    {
        const long chunkBytes = 1L << 26;
        if (entry.ByteLength == 0) return;
        using Tensor flat = destination.view(-1);
        long elementSize = destination.ElementSize;
        long elements = flat.shape[0];
        long chunkElements = Math.Max(1, chunkBytes / elementSize);
        _stream.Position = _dataStart + entry.Begin;
        try
        {
            for (long start = 0; start < elements; start += chunkElements)
            {
                using Tensor part = flat.narrow(0, start, Math.Min(chunkElements, elements - start));
                _stream.ReadExactly(part.bytes);
            }
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{Path}: tensor '{entry.Name}' runs past the end of the file.", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static (Dictionary<string, SafeTensorEntry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadHeader(
        string path, FileStream stream)
    {
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8) throw new InvalidDataException($"{path}: {fileLength} bytes is too short for a safetensors file.");
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > SafeTensorsFormat.MaxHeaderLength || (long)headerLength > fileLength - 8)
            throw new InvalidDataException($"{path}: header length {headerLength} does not fit the file ({fileLength} bytes).");

        byte[] header = new byte[headerLength];
        stream.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument document;
        try
        {
            // Strict UTF-8 first: JsonDocument checks the bytes inside strings only when a string is read.
            _ = StrictUtf8.GetCharCount(header);
            document = JsonDocument.Parse(header);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid UTF-8 ({e.Message}).", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message}).", e);
        }

        using (document)
        {
            try
            {
                return ReadEntries(path, document, dataStart, dataLength);
            }
            catch (InvalidOperationException e)
            {
                // A name or string escaping a lone UTF-16 surrogate ("\ud800") is valid JSON but no .NET string.
                throw new InvalidDataException($"{path}: a string in the header is not valid Unicode ({e.Message}).", e);
            }
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static (Dictionary<string, SafeTensorEntry> Entries, Dictionary<string, string> Metadata, long DataStart) ReadEntries(
        string path, JsonDocument document, long dataStart, long dataLength)
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: the header must be a JSON object.");
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (property.Name == MetadataKey)
            {
                ReadMetadata(path, property.Value, metadata);
                continue;
            }
            SafeTensorEntry entry = ReadEntry(path, property.Name, property.Value, dataLength);
            if (!entries.TryAdd(entry.Name, entry))
                throw new InvalidDataException($"{path}: tensor '{entry.Name}' appears twice in the header.");
        }
        CheckLayout(path, entries.Values, dataLength);
        return (entries, metadata, dataStart);
    }

    private static void ReadMetadata(string path, JsonElement element, Dictionary<string, string> metadata)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: {MetadataKey} must be an object of strings.");
        foreach (JsonProperty item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: {MetadataKey} value '{item.Name}' must be a string.");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafeTensorEntry ReadEntry(string path, string name, JsonElement element, long dataLength)
    {
        string Where() => $"{path}: tensor '{name}'";
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where()}: the entry must be an object with dtype, shape and data_offsets.");
        if (!element.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Where()}: missing string 'dtype'.");
        string dtype = dtypeElement.GetString()!;
        if (!SafeTensorsFormat.TryGetType(dtype, out _, out int elementSize))
            throw new InvalidDataException($"{Where()}: dtype '{dtype}' is not supported (supported: {string.Join(", ", SafeTensorsFormat.Codes)}).");

        long[] shape = ReadIntegers(element, "shape", Where);
        if (shape.Length > SafeTensorsFormat.MaxRank)
            throw new InvalidDataException($"{Where()}: rank {shape.Length} is above {SafeTensorsFormat.MaxRank}.");
        long[] offsets = ReadIntegers(element, "data_offsets", Where);
        if (offsets.Length != 2)
            throw new InvalidDataException($"{Where()}: data_offsets must hold exactly two numbers, got {offsets.Length}.");
        var entry = new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]);
        if (entry.Begin > entry.End || entry.End > dataLength)
            throw new InvalidDataException(
                $"{Where()}: data_offsets [{entry.Begin}, {entry.End}] fall outside the data section of {dataLength} bytes.");
        long expected;
        try
        {
            expected = checked(entry.ElementCount * elementSize);
        }
        catch (OverflowException e)
        {
            throw new InvalidDataException($"{Where()}: shape [{string.Join(", ", shape)}] is too large.", e);
        }
        if (entry.ByteLength != expected)
            throw new InvalidDataException(
                $"{Where()}: shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes but data_offsets span {entry.ByteLength}.");
        return entry;
    }

    private static long[] ReadIntegers(JsonElement element, string key, Func<string> where)
    {
        if (!element.TryGetProperty(key, out JsonElement array) || array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where()}: missing array '{key}'.");
        var values = new long[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw new InvalidDataException($"{where()}: '{key}' must hold non-negative integers, got {item.GetRawText()}.");
            values[i++] = value;
        }
        return values;
    }

    /// <summary>
    /// The tensors must tile the data section exactly, as the format's reference reader requires: no two overlap,
    /// no bytes lie between them, and the last ends where the file ends (trailing bytes mean a damaged or foreign file).
    /// </summary>
    private static void CheckLayout(string path, IEnumerable<SafeTensorEntry> entries, long dataLength)
    {
        SafeTensorEntry? previous = null;
        long end = 0;
        foreach (SafeTensorEntry entry in entries.Where(e => e.ByteLength > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < end)
                throw new InvalidDataException($"{path}: tensors '{previous.Name}' and '{entry.Name}' overlap in the data section.");
            if (entry.Begin > end)
                throw new InvalidDataException($"{path}: bytes [{end}, {entry.Begin}) of the data section belong to no tensor (before '{entry.Name}').");
            previous = entry;
            end = entry.End;
        }
        if (end != dataLength)
            throw new InvalidDataException(
                $"{path}: the tensors end at byte {end} of the data section but the file holds {dataLength} data bytes (damaged, or not written as safetensors).");
    }
}
