using System.Buffers.Binary;
using System.Text;

namespace Pama.FineTune.Reporting;

/// <summary>
/// Writes scalars as a TensorBoard event file (<c>events.out.tfevents.&lt;seconds&gt;.&lt;host&gt;</c>) that <c>tensorboard --logdir</c>
/// reads: TFRecord records (uint64 length, masked CRC32C of the length, the bytes, masked CRC32C of the bytes) holding
/// <c>tensorflow.Event</c> protocol buffers: first the file version <c>brain.Event:2</c>, then one event per step whose
/// summary carries a <c>simple_value</c> per tag. Every step is flushed, so a killed run keeps the steps it logged.
/// </summary>
public sealed class TensorBoardWriter : IDisposable
{
    private readonly FileStream _file;

    /// <summary>Creates a new event file in <paramref name="directory"/> (created if needed).</summary>
    /// <param name="directory">The run's folder, e.g. <c>OUT/tensorboard/pama-seed1</c>.</param>
    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string host = string.Concat(Environment.MachineName.Where(char.IsAsciiLetterOrDigit));
        string path = Path.Combine(directory, $"events.out.tfevents.{seconds}.{(host.Length > 0 ? host : "host")}");
        for (int k = 1; File.Exists(path); k++) path = Path.Combine(directory, $"events.out.tfevents.{seconds}.{host}.{k}");
        EventFile = path;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var version = new List<byte>();
        WallTime(version);
        Protobuf.String(version, 3, "brain.Event:2");
        WriteRecord([.. version]);
        _file.Flush();
    }

    /// <summary>The event file being written.</summary>
    public string EventFile { get; }

    /// <summary>Writes one event at <paramref name="step"/> with a scalar per tag; NaN values (a method without s*) are left out.</summary>
    /// <param name="step">Training step.</param>
    /// <param name="scalars">Tag (e.g. <c>reward/length</c>) and value pairs.</param>
    public void Write(long step, IEnumerable<(string Tag, double Value)> scalars)
    {
        ArgumentNullException.ThrowIfNull(scalars);
        var summary = new List<byte>();
        foreach (var (tag, value) in scalars)
        {
            if (double.IsNaN(value)) continue;
            var entry = new List<byte>();
            Protobuf.String(entry, 1, tag);
            Protobuf.Float(entry, 2, (float)value);
            Protobuf.Bytes(summary, 1, [.. entry]);
        }
        var evt = new List<byte>();
        WallTime(evt);
        Protobuf.Varint(evt, 2, (ulong)step);
        Protobuf.Bytes(evt, 5, [.. summary]);
        WriteRecord([.. evt]);
        _file.Flush();
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();

    private static void WallTime(List<byte> message) =>
        Protobuf.Double(message, 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);

    private void WriteRecord(byte[] data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Masked(data));
        _file.Write(header);
        _file.Write(data);
        _file.Write(footer);
    }

    /// <summary>The few protocol-buffer encodings an event needs (field key = number &lt;&lt; 3 | wire type).</summary>
    private static class Protobuf
    {
        public static void Varint(List<byte> m, int field, ulong value)
        {
            Key(m, field, 0);
            Raw(m, value);
        }

        public static void Double(List<byte> m, int field, double value)
        {
            Key(m, field, 1);
            var bytes = new byte[8];
            BinaryPrimitives.WriteDoubleLittleEndian(bytes, value);
            m.AddRange(bytes);
        }

        public static void Float(List<byte> m, int field, float value)
        {
            Key(m, field, 5);
            var bytes = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
            m.AddRange(bytes);
        }

        public static void String(List<byte> m, int field, string value) => Bytes(m, field, Encoding.UTF8.GetBytes(value));

        public static void Bytes(List<byte> m, int field, byte[] value)
        {
            Key(m, field, 2);
            Raw(m, (ulong)value.Length);
            m.AddRange(value);
        }

        private static void Key(List<byte> m, int field, int wireType) => Raw(m, (ulong)((field << 3) | wireType));

        private static void Raw(List<byte> m, ulong value)
        {
            for (; value >= 0x80; value >>= 7) m.Add((byte)(value | 0x80));
            m.Add((byte)value);
        }
    }
}

/// <summary>CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = Build();

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: <c>((c &gt;&gt; 15) | (c &lt;&lt; 17)) + 0xa282ead8</c>.</summary>
    public static uint Masked(ReadOnlySpan<byte> data)
    {
        uint crc = Compute(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }

    private static uint[] Build()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
