using Pama.TorchSharp.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// A section of named tensors: int32 count, then per tensor its name, int32 element type, int32 rank, int64
/// dimensions and the raw little-endian bytes. Reading checks every tensor against the one it will replace
/// (name, type, shape) before allocating anything, and returns fresh tensors, so nothing is touched yet.
/// </summary>
internal static class TensorSection
{
    /// <summary>Writes <paramref name="tensors"/> (any device; copied to the CPU one at a time).</summary>
    public static void Write(BinaryWriter writer, IReadOnlyList<(string Name, Tensor Tensor)> tensors)
    {
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            SectionWriter.WriteName(writer, name);
            writer.Write((int)tensor.dtype);
            writer.Write(tensor.shape.Length);
            foreach (long d in tensor.shape) writer.Write(d);
            using var scope = NewDisposeScope();
            Tensor cpu = HostReads.Host(tensor);
            writer.Flush();
            if (cpu.numel() > 0) writer.BaseStream.Write(cpu.bytes);
        }
    }

    /// <summary>
    /// Reads tensors that must match <paramref name="expected"/> exactly (same names, element types and shapes) into
    /// fresh tensors on each expected tensor's device. Floating tensors must be finite.
    /// </summary>
    /// <exception cref="InvalidDataException">A tensor is missing, extra, of another type or shape, or not finite.</exception>
    public static Dictionary<string, Tensor> Read(BinaryReader reader, IReadOnlyDictionary<string, Tensor> expected)
    {
        int count = reader.ReadInt32();
        if (count != expected.Count)
            throw new InvalidDataException($"it holds {count} tensors; this trainer has {expected.Count}.");
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            for (int i = 0; i < count; i++)
            {
                string name = SectionReader.ReadName(reader, $"tensor name {i}");
                if (!expected.TryGetValue(name, out Tensor? target))
                    throw new InvalidDataException($"tensor '{name}' does not exist in this trainer (another model architecture?).");
                if (loaded.ContainsKey(name)) throw new InvalidDataException($"tensor '{name}' appears twice.");
                var dtype = (ScalarType)reader.ReadInt32();
                if (dtype != target.dtype)
                    throw new InvalidDataException($"tensor '{name}' is {dtype}; this trainer's is {target.dtype}.");
                int rank = reader.ReadInt32();
                if (rank != target.shape.Length)
                    throw new InvalidDataException($"tensor '{name}' has rank {rank}; this trainer's has shape [{string.Join(", ", target.shape)}].");
                long[] shape = new long[rank];
                for (int d = 0; d < rank; d++) shape[d] = reader.ReadInt64();
                if (!shape.AsSpan().SequenceEqual(target.shape))
                    throw new InvalidDataException(
                        $"tensor '{name}' has shape [{string.Join(", ", shape)}]; this trainer's is [{string.Join(", ", target.shape)}] (another model architecture?).");

                // Type and shape equal a live tensor's, so the allocation below is one the trainer already made once.
                Tensor value = empty(shape, dtype);
                loaded.Add(name, value);
                if (value.numel() > 0) reader.BaseStream.ReadExactly(value.bytes);
                if (value.is_floating_point() && !HostReads.Bool(value.isfinite().all()))
                    throw new InvalidDataException($"tensor '{name}' contains NaN or infinite values.");
                if (target.device_type != DeviceType.CPU)
                {
                    loaded[name] = value.to(target.device);
                    value.Dispose();
                }
            }
            return loaded;
        }
        catch
        {
            foreach (Tensor t in loaded.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>Copies <paramref name="values"/> into the tensors of <paramref name="targets"/> with the same names (shapes and types already checked).</summary>
    public static void CopyInto(IReadOnlyDictionary<string, Tensor> targets, IReadOnlyDictionary<string, Tensor> values)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in values) targets[name].copy_(value);
    }
}
