namespace Pama.TorchSharp.Models;

/// <summary>One tensor's header entry in a safetensors file.</summary>
/// <param name="Name">Tensor name, e.g. <c>h.0.attn.c_attn.weight</c>.</param>
/// <param name="DataType">Safetensors dtype code: <c>F64</c>, <c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, <c>I32</c>, <c>I16</c>, <c>I8</c>, <c>U8</c> or <c>BOOL</c>.</param>
/// <param name="Shape">Dimensions; empty for a scalar.</param>
/// <param name="Begin">Start of the data, in bytes from the start of the data section.</param>
/// <param name="End">End (exclusive) of the data, in bytes from the start of the data section.</param>
internal sealed record SafeTensorEntry(string Name, string DataType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, d) => checked(product * d));

    /// <summary>Number of data bytes, <see cref="End"/> − <see cref="Begin"/>.</summary>
    public long ByteLength => End - Begin;
}
