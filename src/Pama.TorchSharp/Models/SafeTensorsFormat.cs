using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>The dtype codes of the safetensors format and their TorchSharp element types.</summary>
internal static class SafeTensorsFormat
{
    /// <summary>Header lengths above this are rejected as corrupt (the format's own reference reader uses 100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Tensors of higher rank are rejected as corrupt (libtorch's own kernels index at most 25 dimensions).</summary>
    public const int MaxRank = 25;

    private static readonly (string Code, ScalarType Type, int Size)[] Types =
    [
        ("F64", ScalarType.Float64, 8),
        ("F32", ScalarType.Float32, 4),
        ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8),
        ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2),
        ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1),
        ("BOOL", ScalarType.Bool, 1),
    ];

    public static bool TryGetType(string code, out ScalarType type, out int size)
    {
        foreach (var t in Types)
        {
            if (t.Code == code) { type = t.Type; size = t.Size; return true; }
        }
        type = default;
        size = 0;
        return false;
    }

    public static string CodeOf(ScalarType type)
    {
        foreach (var t in Types)
        {
            if (t.Type == type) return t.Code;
        }
        throw new NotSupportedException($"Tensors of type {type} cannot be stored in safetensors by this writer.");
    }

    public static IEnumerable<string> Codes => Types.Select(t => t.Code);
}
