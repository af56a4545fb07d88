using System.IO.Hashing;
using System.Text;
using Pama.TorchSharp.IO;

namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// Writes a checkpoint file of named sections (layout in <see cref="CheckpointFormat"/>), atomically through
/// <see cref="AtomicFile"/>. Add a piece of state by adding a section: <see cref="Add"/> with a name and a
/// callback that writes its bytes; read it back with <see cref="SectionReader.Read{T}"/>.
/// </summary>
internal sealed class SectionWriter
{
    private readonly List<(string Name, Action<BinaryWriter> Write)> _sections = [];

    /// <summary>Adds a section; sections are written in the order they are added.</summary>
    /// <param name="name">Unique section name (e.g. <c>"policy"</c>).</param>
    /// <param name="write">Writes the section's bytes; the writer must not be disposed or seeked.</param>
    public SectionWriter Add(string name, Action<BinaryWriter> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(write);
        if (Encoding.UTF8.GetByteCount(name) > CheckpointFormat.MaxNameLength)
            throw new ArgumentException($"Section name '{name}' is longer than {CheckpointFormat.MaxNameLength} bytes.", nameof(name));
        if (_sections.Any(s => s.Name == name)) throw new ArgumentException($"Section '{name}' was added twice.", nameof(name));
        _sections.Add((name, write));
        return this;
    }

    /// <summary>Writes all sections to <paramref name="path"/>; the previous file survives any failure.</summary>
    public void Save(string path)
    {
        AtomicFile.Write(path, file =>
        {
            var hashing = new HashingStream(file);
            using var writer = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true);
            writer.Write(CheckpointFormat.Magic);
            writer.Write(CheckpointFormat.Version);
            var contents = new List<(string Name, long Offset, long Length)>();
            foreach (var (name, write) in _sections)
            {
                writer.Flush();
                long offset = hashing.Position;
                write(writer);
                writer.Flush();
                contents.Add((name, offset, hashing.Position - offset));
            }

            long contentsOffset = hashing.Position;
            writer.Write(contents.Count);
            foreach (var (name, offset, length) in contents)
            {
                WriteName(writer, name);
                writer.Write(offset);
                writer.Write(length);
            }
            writer.Write(contentsOffset);
            writer.Flush();
            // The checksum covers every byte before it, itself excluded.
            Span<byte> checksum = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(checksum, hashing.Hash.GetCurrentHashAsUInt64());
            file.Write(checksum);
        });
    }

    /// <summary>Writes a name as an int32 byte length and UTF-8 bytes (read back by <see cref="SectionReader.ReadName"/>).</summary>
    public static void WriteName(BinaryWriter writer, string name)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length > CheckpointFormat.MaxNameLength)
            throw new ArgumentException($"Name '{name}' is longer than {CheckpointFormat.MaxNameLength} bytes.", nameof(name));
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    /// <summary>A write-only pass-through that hashes and counts every byte written.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private long _position;

        public XxHash3 Hash { get; } = new();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _position;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Hash.Append(buffer);
            inner.Write(buffer);
            _position += buffer.Length;
        }

        public override void WriteByte(byte value) => Write([value]);
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
