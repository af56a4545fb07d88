using Pama.TorchSharp.IO;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// The trainer's checkpoint file: everything that decides the next step, so that resuming equals
/// never stopping. Layout (little-endian, <see cref="BinaryWriter"/>): magic, format version, objective
/// count, method, step counter, KL coefficient, generator state, then the TorchSharp state of the
/// policy, the value heads, the policy optimizer and the value-head optimizer. The frozen reference
/// model is not stored: it is the pretrained model the caller constructs the trainer with.
/// </summary>
internal static class TrainerCheckpoint
{
    private const string Magic = "PAMA.NET trainer checkpoint";
    private const int FormatVersion = 1;

    /// <summary>Scalars of the trainer's state.</summary>
    public sealed record Header(int ObjectiveCount, string Method, long StepCount, double KlCoefficient);

    /// <summary>The stateful parts of a trainer.</summary>
    public sealed record Parts(nn.Module Policy, nn.Module ValueHeads, OptimizerHelper PolicyOptimizer, OptimizerHelper ValueOptimizer, Generator Generator);

    /// <summary>Writes the checkpoint atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Save(string path, Header header, Parts parts)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(header.ObjectiveCount);
            writer.Write(header.Method);
            writer.Write(header.StepCount);
            writer.Write(header.KlCoefficient);
            using (Tensor state = parts.Generator.get_state())
            {
                byte[] bytes = state.cpu().data<byte>().ToArray();
                writer.Write(bytes.Length);
                writer.Write(bytes);
            }
            parts.Policy.save(writer);
            parts.ValueHeads.save(writer);
            parts.PolicyOptimizer.save_state_dict(writer);
            parts.ValueOptimizer.save_state_dict(writer);
            writer.Flush();
        });
    }

    /// <summary>
    /// Reads a checkpoint into <paramref name="parts"/> after checking that it was written by a trainer with
    /// <paramref name="objectiveCount"/> objectives and <paramref name="method"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a trainer checkpoint or does not match the trainer.</exception>
    public static Header Load(string path, int objectiveCount, string method, Parts parts)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        string magic;
        try { magic = reader.ReadString(); }
        catch (Exception e) when (e is EndOfStreamException or IOException) { throw new InvalidDataException($"'{path}' is not a PAMA.NET trainer checkpoint.", e); }
        if (magic != Magic) throw new InvalidDataException($"'{path}' is not a PAMA.NET trainer checkpoint.");
        int version = reader.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"'{path}' has checkpoint format {version}; this version reads format {FormatVersion}.");
        int storedObjectives = reader.ReadInt32();
        string storedMethod = reader.ReadString();
        if (storedObjectives != objectiveCount || storedMethod != method)
            throw new InvalidDataException(
                $"'{path}' was written by a {storedMethod} trainer with {storedObjectives} objectives; this trainer is {method} with {objectiveCount}.");
        try
        {
            var header = new Header(storedObjectives, method, reader.ReadInt64(), reader.ReadDouble());
            byte[] generatorState = reader.ReadBytes(reader.ReadInt32());
            using (Tensor state = tensor(generatorState, dtype: ScalarType.Byte))
                parts.Generator.set_state(state);
            parts.Policy.load(reader, strict: true);
            parts.ValueHeads.load(reader, strict: true);
            parts.PolicyOptimizer.load_state_dict(reader);
            parts.ValueOptimizer.load_state_dict(reader);
            return header;
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"'{path}' could not be loaded into this trainer (damaged file or another model architecture): {e.Message}", e);
        }
    }
}
