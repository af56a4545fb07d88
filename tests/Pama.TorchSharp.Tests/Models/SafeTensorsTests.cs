using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

public sealed class SafeTensorsTests
{
    private static readonly double[] Exact = [0.5, -2, 1024, 0.0078125, -0.75, 3];   // exact in F16, BF16, F32

    [Theory]
    [InlineData("F64")]
    [InlineData("F32")]
    [InlineData("F16")]
    [InlineData("BF16")]
    public void ReadsHandWrittenFloatTensorsAndConvertsToTheRequestedType(string dtype)
    {
        byte[] data = dtype switch
        {
            "F64" => HandWrittenSafeTensors.Float64(Exact),
            "F32" => HandWrittenSafeTensors.Float32(Exact),
            "F16" => HandWrittenSafeTensors.Float16(Exact),
            _ => HandWrittenSafeTensors.BFloat16(Exact),
        };
        using var dir = new TestDirectory();
        string path = dir.File("t.safetensors");
        File.WriteAllBytes(path, HandWrittenSafeTensors.Bytes([new("w", dtype, [2, 3], data)]));

        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        using Tensor value = file.Read("w", ScalarType.Float64);
        Assert.Equal(new long[] { 2, 3 }, value.shape);
        Assert.Equal(ScalarType.Float64, value.dtype);
        Assert.Equal(Exact, value.data<double>().ToArray());
    }

    [Fact]
    public void ReadsHandWrittenInt64()
    {
        using var dir = new TestDirectory();
        string path = dir.File("i.safetensors");
        long[] values = [long.MinValue, -1, 0, 7, long.MaxValue];
        File.WriteAllBytes(path, HandWrittenSafeTensors.Bytes([new("ids", "I64", [5], HandWrittenSafeTensors.Int64(values))], padHeader: false));
        Dictionary<string, Tensor> loaded = SafeTensors.Load(path);
        using Tensor ids = loaded["ids"];
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal(values, ids.data<long>().ToArray());
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Bool)]
    public void SaveThenLoadRoundTripsEachType(ScalarType type)
    {
        using var dir = new TestDirectory();
        string path = dir.File("r.safetensors");
        using Tensor original = tensor(new double[] { 1, 0, 3, 0, 5, 1, 0, 2 }, [2, 4]).to_type(type);
        using Tensor scalar = tensor(42.0).to_type(type == ScalarType.Bool ? ScalarType.Float32 : type);
        using Tensor empty = zeros([0, 3], type);
        SafeTensors.Save(path, [new("a", original), new("s", scalar), new("e", empty)]);

        Dictionary<string, Tensor> loaded = SafeTensors.Load(path);
        try
        {
            Assert.Equal(type, loaded["a"].dtype);
            Assert.Equal(original.shape, loaded["a"].shape);
            Assert.True(loaded["a"].to_type(ScalarType.Float64).eq(original.to_type(ScalarType.Float64)).all().item<bool>());
            Assert.Empty(loaded["s"].shape);
            Assert.Equal(42.0, loaded["s"].to_type(ScalarType.Float64).item<double>());
            Assert.Equal(new long[] { 0, 3 }, loaded["e"].shape);
        }
        finally
        {
            foreach (Tensor t in loaded.Values) t.Dispose();
        }
    }

    [Fact]
    public void WriterFollowsTheFormatByteForByte()
    {
        using var dir = new TestDirectory();
        string path = dir.File("w.safetensors");
        using Tensor a = tensor(new float[] { 1.5f, -2f, 3.25f }, [3]);
        using Tensor b = tensor(new long[] { 7, -8 }, [1, 2]);
        SafeTensors.Save(path, [new("a", a), new("b", b)], new Dictionary<string, string> { ["format"] = "pt" });

        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        using JsonDocument header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' '));
        JsonElement root = header.RootElement;
        Assert.Equal("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.Equal("F32", root.GetProperty("a").GetProperty("dtype").GetString());
        Assert.Equal("I64", root.GetProperty("b").GetProperty("dtype").GetString());
        Assert.Equal([1, 2], root.GetProperty("b").GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
        long[] aOffsets = root.GetProperty("a").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long[] bOffsets = root.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        int data = 8 + (int)headerLength;
        Assert.Equal(bytes.Length, data + 12 + 16);
        Assert.Equal(new[] { 1.5f, -2f, 3.25f }, Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(data + (int)aOffsets[0] + 4 * i))));
        Assert.Equal(new[] { 7L, -8L }, Enumerable.Range(0, 2).Select(i => BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(data + (int)bOffsets[0] + 8 * i))));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    public static TheoryData<string, byte[], string> CorruptFiles()
    {
        byte[] good = HandWrittenSafeTensors.Float32([1, 2, 3, 4]);
        var data = new TheoryData<string, byte[], string>
        {
            { "too short", [1, 2, 3], "too short" },
            { "header past end", WithHeaderLength(HandWrittenSafeTensors.Bytes([new("w", "F32", [4], good)]), 1_000_000), "header length" },
            { "invalid json", HandWrittenSafeTensors.Bytes([], rawHeader: "{\"w\": [1, 2"), "not valid JSON" },
            { "offsets past data", HandWrittenSafeTensors.Bytes([], rawHeader: "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"), "'w'" },
            { "shape disagrees", HandWrittenSafeTensors.Bytes([new("w", "F32", [5], good)]), "needs 20 bytes" },
            { "unknown dtype", HandWrittenSafeTensors.Bytes([new("w", "F8_E4M3", [16], good)]), "F8_E4M3" },
            { "negative offset", HandWrittenSafeTensors.Bytes([], rawHeader: "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}"), "non-negative" },
        };
        string overlapHeader = "{\"p\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        data.Add("overlap", HandWrittenSafeTensors.Bytes([new("x", "F32", [4], good)], rawHeader: overlapHeader), "overlap");
        return data;

        static byte[] WithHeaderLength(byte[] file, ulong length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(file, length);
            return file;
        }
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void CorruptFilesAreRejectedNamingTheFile(string _, byte[] bytes, string expectedFragment)
    {
        using var dir = new TestDirectory();
        string path = dir.File("corrupt.safetensors");
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Contains(expectedFragment, error.Message);
    }
}
