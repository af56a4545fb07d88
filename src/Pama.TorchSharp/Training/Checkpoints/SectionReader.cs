using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// Opens a checkpoint file written by <see cref="SectionWriter"/> and verifies it as a whole (header,
/// checksum, table of contents) before any section is read. Sections are then read through a stream that
/// ends where the section ends, so a reader can never run into the next section, and every failure becomes an
/// <see cref="InvalidDataException"/> that names the file and the section.
/// </summary>
/// <remarks>The file stays open until disposal, so a concurrent atomic replace (a rename) does not change what is read.</remarks>
internal sealed class SectionReader : IDisposable
{
    private readonly FileStream _stream;
    private readonly Dictionary<string, (long Offset, long Length)> _sections;

    private SectionReader(string path, FileStream stream, Dictionary<string, (long, long)> sections)
    {
        Path = path;
        _stream = stream;
        _sections = sections;
    }

    /// <summary>The file, as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Names of the file's sections.</summary>
    public IReadOnlyCollection<string> SectionNames => _sections.Keys;

    /// <summary>Opens and verifies <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, has another format version, is truncated or damaged.</exception>
    public static SectionReader Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return new SectionReader(path, stream, Verify(path, stream));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Byte length of section <paramref name="name"/>, or 0 when the file has no such section.</summary>
    public long LengthOf(string name) => _sections.TryGetValue(name, out var range) ? range.Length : 0;

    /// <summary>Whether the file has a section of that name.</summary>
    public bool Has(string name) => _sections.ContainsKey(name);

    /// <summary>
    /// Reads section <paramref name="name"/> with <paramref name="read"/>, which must consume it exactly. Any exception
    /// of <paramref name="read"/> other than <see cref="InvalidDataException"/> is wrapped in one that names the file and section.
    /// </summary>
    /// <exception cref="InvalidDataException">The section is missing, <paramref name="read"/> failed, or bytes were left over.</exception>
    public T Read<T>(string name, Func<BinaryReader, T> read)
    {
        if (!_sections.TryGetValue(name, out var range))
            throw new InvalidDataException($"'{Path}' has no '{name}' section (it has: {string.Join(", ", _sections.Keys)}).");
        _stream.Position = range.Offset;
        var section = new SectionStream(_stream, range.Length);
        using var reader = new BinaryReader(section, Encoding.UTF8, leaveOpen: true);
        T result;
        try
        {
            result = read(reader);
        }
        catch (InvalidDataException e) when (!e.Message.Contains(Path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{Path}', section '{name}': {e.Message}", e);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            // Whatever the section's reader met (an early end, a TorchSharp type or shape check, ...), the file is at fault.
            throw new InvalidDataException($"'{Path}', section '{name}' could not be read: {e.Message}", e);
        }
        if (section.Remaining != 0)
            throw new InvalidDataException($"'{Path}', section '{name}': {section.Remaining} of its {range.Length} bytes were not read; it was written by another layout.");
        return result;
    }

    /// <summary>Reads a name written by <see cref="SectionWriter.WriteName"/>, refusing lengths above <see cref="CheckpointFormat.MaxNameLength"/>.</summary>
    public static string ReadName(BinaryReader reader, string what)
    {
        int length = reader.ReadInt32();
        if (length < 0 || length > CheckpointFormat.MaxNameLength)
            throw new InvalidDataException($"{what} has length {length}, outside [0, {CheckpointFormat.MaxNameLength}].");
        byte[] bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException($"{what} ends early.");
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{what} is not valid UTF-8.", e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private static Dictionary<string, (long, long)> Verify(string path, FileStream stream)
    {
        long length = stream.Length;
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        byte[] magic = Encoding.UTF8.GetBytes(CheckpointFormat.Magic);
        byte[] expectedStart = [(byte)magic.Length, .. magic];
        byte[] start = reader.ReadBytes(expectedStart.Length);
        if (!start.AsSpan().SequenceEqual(expectedStart))
        {
            if (length == 0) throw new InvalidDataException($"'{path}' is empty: not a PAMA.NET trainer checkpoint.");
            if (start.Length < expectedStart.Length && expectedStart.AsSpan().StartsWith(start) && start.Length > 0)
                throw new InvalidDataException($"'{path}' is truncated: {length} bytes is not a complete PAMA.NET trainer checkpoint.");
            throw new InvalidDataException($"'{path}' is not a PAMA.NET trainer checkpoint.");
        }
        if (length < CheckpointFormat.HeaderLength)
            throw new InvalidDataException($"'{path}' is truncated: {length} bytes is not a complete PAMA.NET trainer checkpoint.");
        int version = reader.ReadInt32();
        if (version != CheckpointFormat.Version)
        {
            string why = version is > 0 and < CheckpointFormat.Version
                ? " It was written by an earlier PAMA.NET, before checkpoints were checksummed; resume it with that version or start a new run."
                : "";
            throw new InvalidDataException($"'{path}' has checkpoint format {version}; this version reads format {CheckpointFormat.Version}.{why}");
        }
        if (length < CheckpointFormat.HeaderLength + 4 + CheckpointFormat.TrailerLength)
            throw new InvalidDataException($"'{path}' is truncated: {length} bytes is too short for a PAMA.NET trainer checkpoint.");

        // Checksum first: no length read from the file is trusted before every byte is known to be as written.
        stream.Position = length - 8;
        ulong stored = reader.ReadUInt64();
        ulong computed = Checksum(stream, length - 8);
        if (stored != computed)
            throw new InvalidDataException(
                $"'{path}' is damaged or truncated: its checksum does not match its content (stored {stored:x16}, computed {computed:x16}). " +
                "Resume from an earlier checkpoint.");

        stream.Position = length - CheckpointFormat.TrailerLength;
        long contentsOffset = reader.ReadInt64();
        long contentsEnd = length - CheckpointFormat.TrailerLength;
        if (contentsOffset < CheckpointFormat.HeaderLength || contentsOffset > contentsEnd - 4)
            throw new InvalidDataException($"'{path}': the table of contents at {contentsOffset} lies outside the file ({length} bytes).");
        stream.Position = contentsOffset;
        var contents = new BinaryReader(new SectionStream(stream, contentsEnd - contentsOffset), Encoding.UTF8);
        var sections = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        try
        {
            int count = contents.ReadInt32();
            if (count < 0 || count > CheckpointFormat.MaxSections)
                throw new InvalidDataException($"'{path}': {count} sections is outside [0, {CheckpointFormat.MaxSections}].");
            long expectedOffset = CheckpointFormat.HeaderLength;
            for (int i = 0; i < count; i++)
            {
                string name = ReadName(contents, $"'{path}': section name {i}");
                long offset = contents.ReadInt64(), sectionLength = contents.ReadInt64();
                // Sections tile the file between header and contents, in order: no gaps, no overlaps, nothing outside.
                if (offset != expectedOffset || sectionLength < 0 || sectionLength > contentsOffset - offset)
                    throw new InvalidDataException(
                        $"'{path}': section '{name}' at [{offset}, +{sectionLength}) does not follow the previous section at {expectedOffset} inside the file.");
                if (!sections.TryAdd(name, (offset, sectionLength)))
                    throw new InvalidDataException($"'{path}': section '{name}' appears twice.");
                expectedOffset = offset + sectionLength;
            }
            if (expectedOffset != contentsOffset)
                throw new InvalidDataException($"'{path}': the sections end at {expectedOffset} but the table of contents starts at {contentsOffset}.");
            if (contents.BaseStream.Position != contents.BaseStream.Length)
                throw new InvalidDataException($"'{path}': the table of contents has trailing bytes.");
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"'{path}': the table of contents ends early.", e);
        }
        return sections;
    }

    private static ulong Checksum(FileStream stream, long count)
    {
        var hash = new XxHash3();
        byte[] buffer = new byte[1 << 20];
        stream.Position = 0;
        long remaining = count;
        while (remaining > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0) throw new EndOfStreamException();
            hash.Append(buffer.AsSpan(0, read));
            remaining -= read;
        }
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>A read-only window of <c>length</c> bytes from the inner stream's current position.</summary>
    private sealed class SectionStream(Stream inner, long length) : Stream
    {
        private readonly long _length = length;

        public long Remaining { get; private set; } = length;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _length - Remaining; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (Remaining == 0) return 0;
            int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, Remaining)]);
            Remaining -= read;
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
