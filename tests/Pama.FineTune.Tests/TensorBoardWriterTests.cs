using System.Buffers.Binary;
using System.Text;
using Pama.FineTune.Reporting;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>
/// The sample's TensorBoard event files are valid TFRecord files of <c>tensorflow.Event</c> messages: parsed back here with a
/// bitwise CRC-32C written independently of the writer's table (checked on the standard test vector) and a minimal
/// protocol-buffer reader.
/// </summary>
public sealed class TensorBoardWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-tb-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>CRC-32C bit by bit (Castagnoli, reflected 0x82F63B78).</summary>
    private static uint BitwiseCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    private static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);

    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        byte[] check = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, BitwiseCrc32C(check));   // the published CRC-32C check value
        Assert.Equal(0xE3069283u, Crc32C.Compute(check));
    }

    [Fact]
    public void EventFileParsesBackToTheWrittenScalars()
    {
        string run = Path.Combine(_directory, "pama-seed1");
        using (var writer = new TensorBoardWriter(run))
        {
            writer.Write(1, [("reward/length", 0.5), ("weight/length", 1.0), ("s_star", double.NaN), ("kl", 0.125)]);
            writer.Write(2, [("reward/length", -2.25)]);
        }

        string file = Assert.Single(Directory.GetFiles(run));
        Assert.StartsWith("events.out.tfevents.", Path.GetFileName(file));
        List<byte[]> records = Records(File.ReadAllBytes(file));
        Assert.Equal(3, records.Count);

        var version = Fields(records[0]);
        Assert.Equal("brain.Event:2", Encoding.UTF8.GetString((byte[])version.Single(f => f.Field == 3).Value));
        Assert.Contains(version, f => f.Field == 1 && f.Value is double seconds && seconds > 1.6e9);

        var first = Scalars(records[1]);
        Assert.Equal(1L, first.Step);
        Assert.Equal([("reward/length", 0.5f), ("weight/length", 1.0f), ("kl", 0.125f)], first.Values);   // NaN left out
        var second = Scalars(records[2]);
        Assert.Equal(2L, second.Step);
        Assert.Equal([("reward/length", -2.25f)], second.Values);
    }

    /// <summary>TFRecord framing, every CRC checked.</summary>
    private static List<byte[]> Records(byte[] bytes)
    {
        var records = new List<byte[]>();
        for (int at = 0; at < bytes.Length;)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(Mask(BitwiseCrc32C(bytes.AsSpan(at, 8))), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            byte[] data = bytes.AsSpan(at + 12, (int)length).ToArray();
            Assert.Equal(Mask(BitwiseCrc32C(data)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length)));
            records.Add(data);
            at += 12 + (int)length + 4;
        }
        return records;
    }

    private static (long Step, List<(string, float)> Values) Scalars(byte[] evt)
    {
        var fields = Fields(evt);
        long step = (long)(ulong)fields.Single(f => f.Field == 2).Value;
        var values = new List<(string, float)>();
        foreach (var value in Fields((byte[])fields.Single(f => f.Field == 5).Value).Where(f => f.Field == 1))
        {
            var entry = Fields((byte[])value.Value);
            values.Add((Encoding.UTF8.GetString((byte[])entry.Single(f => f.Field == 1).Value), (float)entry.Single(f => f.Field == 2).Value));
        }
        return (step, values);
    }

    /// <summary>A protocol-buffer message's fields: varint → ulong, fixed64 → double, bytes → byte[], fixed32 → float.</summary>
    private static List<(int Field, object Value)> Fields(byte[] message)
    {
        var fields = new List<(int, object)>();
        int at = 0;
        ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = message[at++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }
        while (at < message.Length)
        {
            ulong key = Varint();
            int field = (int)(key >> 3);
            switch ((int)(key & 7))
            {
                case 0: fields.Add((field, Varint())); break;
                case 1: fields.Add((field, BinaryPrimitives.ReadDoubleLittleEndian(message.AsSpan(at)))); at += 8; break;
                case 2: int n = (int)Varint(); fields.Add((field, message.AsSpan(at, n).ToArray())); at += n; break;
                case 5: fields.Add((field, BinaryPrimitives.ReadSingleLittleEndian(message.AsSpan(at)))); at += 4; break;
                default: throw new InvalidDataException($"wire type {key & 7}");
            }
        }
        return fields;
    }
}
