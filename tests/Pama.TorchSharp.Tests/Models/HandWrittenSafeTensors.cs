using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// A safetensors writer written from the format description, independent of the library's writer:
/// u64 little-endian header length, JSON header, concatenated little-endian data.
/// </summary>
internal static class HandWrittenSafeTensors
{
    public sealed record Item(string Name, string DType, long[] Shape, byte[] Data);

    public static byte[] Bytes(IEnumerable<Item> items, string? rawHeader = null, bool padHeader = true)
    {
        var list = items.ToList();
        var json = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (Item item in list)
        {
            json.Append(CultureInfo.InvariantCulture,
                $",\"{item.Name}\":{{\"dtype\":\"{item.DType}\",\"shape\":[{string.Join(",", item.Shape)}],\"data_offsets\":[{offset},{offset + item.Data.Length}]}}");
            offset += item.Data.Length;
        }
        json.Append('}');
        string text = rawHeader ?? json.ToString();
        if (padHeader) while (Encoding.UTF8.GetByteCount(text) % 8 != 0) text += " ";
        byte[] header = Encoding.UTF8.GetBytes(text);

        using var stream = new MemoryStream();
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (Item item in list) stream.Write(item.Data);
        return stream.ToArray();
    }

    public static byte[] Float64(IEnumerable<double> values)
    {
        var v = values.ToArray();
        var bytes = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), v[i]);
        return bytes;
    }

    public static byte[] Float32(IEnumerable<double> values)
    {
        var v = values.ToArray();
        var bytes = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), (float)v[i]);
        return bytes;
    }

    public static byte[] Float16(IEnumerable<double> values)
    {
        var v = values.ToArray();
        var bytes = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)v[i]);
        return bytes;
    }

    /// <summary>bfloat16 is the upper half of the float32 bit pattern (exact for the test values used).</summary>
    public static byte[] BFloat16(IEnumerable<double> values)
    {
        var v = values.ToArray();
        var bytes = new byte[v.Length * 2];
        for (int i = 0; i < v.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits((float)v[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), (ushort)(bits >> 16));
        }
        return bytes;
    }

    public static byte[] Int64(IEnumerable<long> values)
    {
        var v = values.ToArray();
        var bytes = new byte[v.Length * 8];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), v[i]);
        return bytes;
    }
}
