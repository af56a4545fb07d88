using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Critic;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Checkpoints;

/// <summary>
/// The trainer's checkpoint: everything that decides the next step, so that resuming equals never stopping.
/// A file of named sections (<see cref="CheckpointFormat"/>): <c>trainer</c> (method, objective names, step
/// counter, KL coefficient), <c>generator</c>, <c>policy</c>, <c>value-heads</c>, <c>policy-optimizer</c>,
/// <c>value-optimizer</c> and <c>method-state</c> (a stateful weighting's state; empty for stateless methods, and absent
/// from files written before it existed, which then load for stateless methods only). The frozen reference model is not stored: it is the pretrained model the caller
/// constructs the trainer with.
/// </summary>
/// <remarks>
/// <para>Loading happens in three phases so that a failed load leaves the trainer exactly as it was:
/// <b>verify</b> the whole file (checksum, layout); <b>read</b> every section into fresh objects, checking each
/// against the trainer (objective names, generator state size, tensor names, types and shapes); <b>commit</b>,
/// swapping the fresh state in. The optimizers are the one part read by TorchSharp itself (their layout depends on
/// the optimizer type); they are committed first, after a snapshot of their current state, and restored from it if
/// TorchSharp refuses the stored state.</para>
/// <para>To add a piece of state: one <see cref="SectionWriter.Add"/> in <see cref="Save"/>, one
/// <see cref="SectionReader.Read{T}"/> into a fresh object in the read phase of <see cref="Load"/>, and one
/// assignment in its commit phase. Use <see cref="SectionReader.Has"/> to accept files written before the section existed.</para>
/// </remarks>
internal static class TrainerCheckpoint
{
    private const string TrainerSection = "trainer";
    private const string GeneratorSection = "generator";
    private const string PolicySection = "policy";
    private const string ValueHeadsSection = "value-heads";
    private const string PolicyOptimizerSection = "policy-optimizer";
    private const string ValueOptimizerSection = "value-optimizer";
    private const string MethodStateSection = "method-state";

    /// <summary>Optimizer states up to this size are snapshotted in memory before a load; larger ones in a temporary file.</summary>
    private const long InMemorySnapshotLimit = 256L << 20;

    /// <summary>Scalars of the trainer's state, and what identifies the trainer it belongs to.</summary>
    public sealed record Header(string Method, IReadOnlyList<string> ObjectiveNames, long StepCount, double KlCoefficient);

    /// <summary>The stateful parts of a trainer.</summary>
    public sealed record Parts(nn.Module Policy, nn.Module ValueHeads, OptimizerHelper PolicyOptimizer, OptimizerHelper ValueOptimizer, Generator Generator,
        Pama.Weightings.IWeighting? Weighting = null);

    /// <summary>Writes the checkpoint atomically: readers see the previous file or the complete new one.</summary>
    public static void Save(string path, Header header, Parts parts)
    {
        new SectionWriter()
            .Add(TrainerSection, w => WriteHeader(w, header))
            .Add(GeneratorSection, w =>
            {
                using Tensor state = parts.Generator.get_state();
                byte[] bytes;
                using (Tensor host = HostReads.Host(state)) bytes = host.bytes.ToArray();
                w.Write(bytes.Length);
                w.Write(bytes);
            })
            .Add(PolicySection, w => TensorSection.Write(w, Tensors(parts.Policy)))
            .Add(ValueHeadsSection, w => TensorSection.Write(w, Tensors(parts.ValueHeads)))
            .Add(PolicyOptimizerSection, w => parts.PolicyOptimizer.save_state_dict(w))
            .Add(ValueOptimizerSection, w => parts.ValueOptimizer.save_state_dict(w))
            .Add(MethodStateSection, w =>
            {
                double[] state = Methods.MethodState.Snapshot(parts.Weighting!) ?? [];
                w.Write(state.Length);
                foreach (double v in state) w.Write(v);
            })
            .Save(path);
    }

    /// <summary>
    /// Verifies <paramref name="path"/>, checks that it belongs to a trainer like <paramref name="expected"/> (method and
    /// objective names; the step counter and KL coefficient of <paramref name="expected"/> are ignored), and loads it into
    /// <paramref name="parts"/>. On any failure nothing in <paramref name="parts"/> has changed.
    /// </summary>
    /// <returns>The stored header (step counter and KL coefficient to restore).</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a trainer checkpoint, is damaged, or belongs to another
    /// configuration; the message names the file.</exception>
    public static Header Load(string path, Header expected, Parts parts)
    {
        using SectionReader file = SectionReader.Open(path);

        // Read: every section into fresh objects, each checked against the trainer.
        Header header = file.Read(TrainerSection, r => ReadHeader(r, path, expected));
        byte[] generatorState = file.Read(GeneratorSection, r => ReadGeneratorState(r, parts.Generator));
        double[]? methodState = ReadMethodState(file, path, header.Method, parts.Weighting);
        var policyTargets = TargetsOf(parts.Policy);
        var valueTargets = TargetsOf(parts.ValueHeads);
        Dictionary<string, Tensor>? policy = null, valueHeads = null;
        try
        {
            policy = file.Read(PolicySection, r => TensorSection.Read(r, policyTargets));
            valueHeads = file.Read(ValueHeadsSection, r => TensorSection.Read(r, valueTargets));

            // Commit. The method's state first (its LoadState validates every entry and changes nothing on error), then the
            // optimizers: TorchSharp checks their stored types and shapes while it loads them.
            double[]? previousMethodState = parts.Weighting is null ? null : Methods.MethodState.Snapshot(parts.Weighting);
            if (methodState is not null)
            {
                try { Methods.MethodState.Restore(parts.Weighting!, methodState); }
                catch (ArgumentException e) { throw new InvalidDataException($"'{path}', section '{MethodStateSection}': {e.Message}", e); }
            }
            try
            {
                LoadOptimizers(file, [(PolicyOptimizerSection, parts.PolicyOptimizer), (ValueOptimizerSection, parts.ValueOptimizer)]);
            }
            catch
            {
                if (methodState is not null) Methods.MethodState.Restore(parts.Weighting!, previousMethodState);
                throw;
            }
            TensorSection.CopyInto(policyTargets, policy);
            TensorSection.CopyInto(valueTargets, valueHeads);
            using (Tensor state = tensor(generatorState, dtype: ScalarType.Byte))
                parts.Generator.set_state(state);
            return header;
        }
        finally
        {
            foreach (Tensor t in (policy?.Values.AsEnumerable() ?? []).Concat(valueHeads?.Values.AsEnumerable() ?? [])) t.Dispose();
        }
    }

    private static void WriteHeader(BinaryWriter writer, Header header)
    {
        SectionWriter.WriteName(writer, header.Method);
        writer.Write(header.ObjectiveNames.Count);
        foreach (string name in header.ObjectiveNames) SectionWriter.WriteName(writer, name);
        writer.Write(header.StepCount);
        writer.Write(header.KlCoefficient);
    }

    private static Header ReadHeader(BinaryReader reader, string path, Header expected)
    {
        string method = SectionReader.ReadName(reader, "the method");
        int count = reader.ReadInt32();
        if (count < 0 || count > CheckpointFormat.MaxSections)
            throw new InvalidDataException($"{count} objectives is not a valid count.");
        var names = new string[count];
        for (int i = 0; i < count; i++) names[i] = SectionReader.ReadName(reader, $"objective name {i}");
        long step = reader.ReadInt64();
        double kl = reader.ReadDouble();

        string Describe(string m, IReadOnlyList<string> n) => $"a {m} trainer with {n.Count} objectives ({string.Join(", ", n)})";
        if (method != expected.Method || count != expected.ObjectiveNames.Count)
            throw new InvalidDataException(
                $"'{path}' was written by {Describe(method, names)}; this trainer is {Describe(expected.Method, expected.ObjectiveNames)}.");
        for (int i = 0; i < count; i++)
        {
            if (names[i] != expected.ObjectiveNames[i])
                throw new InvalidDataException(
                    $"'{path}' was written for the objectives ({string.Join(", ", names)}), but this trainer's are " +
                    $"({string.Join(", ", expected.ObjectiveNames)}): objective {i} is '{names[i]}' there and '{expected.ObjectiveNames[i]}' here. " +
                    "Each value head and optimizer state belongs to one objective, so resume with the same objectives in the same order.");
        }
        if (step < 0) throw new InvalidDataException($"the step counter {step} is negative.");
        if (!double.IsFinite(kl) || kl < 0) throw new InvalidDataException($"the KL coefficient {kl} is not finite and nonnegative.");
        return expected with { StepCount = step, KlCoefficient = kl };
    }

    /// <summary>The stored state of a stateful weighting (checked for length), or <c>null</c> when there is none to restore.</summary>
    private static double[]? ReadMethodState(SectionReader file, string path, string method, Pama.Weightings.IWeighting? weighting)
    {
        int expected = weighting is Pama.Weightings.IStatefulWeighting stateful ? stateful.StateLength : 0;
        if (!file.Has(MethodStateSection))
        {
            if (expected == 0) return null;
            throw new InvalidDataException(
                $"'{path}' holds no state of method {method}, which keeps {expected} numbers of state; it was written before method states were saved.");
        }
        return file.Read(MethodStateSection, r =>
        {
            int length = r.ReadInt32();
            if (length != expected)
                throw new InvalidDataException($"the method's state has {length} numbers; method {method} here keeps {expected}.");
            var state = new double[length];
            for (int k = 0; k < length; k++) state[k] = r.ReadDouble();
            return length == 0 ? null : state;
        });
    }

    private static byte[] ReadGeneratorState(BinaryReader reader, Generator generator)
    {
        long expectedLength;
        using (Tensor current = generator.get_state()) expectedLength = current.numel();
        // libtorch aborts the process on a state of the wrong size, so the size is checked here, before set_state.
        int length = reader.ReadInt32();
        if (length != expectedLength)
            throw new InvalidDataException($"the generator state has {length} bytes; this trainer's generator takes {expectedLength}.");
        byte[] bytes = reader.ReadBytes(length);
        if (bytes.Length != length) throw new EndOfStreamException("the generator state ends early.");
        return bytes;
    }

    private static void LoadOptimizers(SectionReader file, (string Section, OptimizerHelper Optimizer)[] optimizers)
    {
        var snapshots = new List<Stream>();
        try
        {
            foreach (var (_, optimizer) in optimizers)
            {
                Stream snapshot = Scratch();
                snapshots.Add(snapshot);
                using var writer = new BinaryWriter(snapshot, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            }
            try
            {
                foreach (var (section, optimizer) in optimizers)
                    file.Read(section, r => { optimizer.load_state_dict(r); return true; });
            }
            catch
            {
                for (int i = 0; i < optimizers.Length; i++)
                {
                    snapshots[i].Position = 0;
                    using var reader = new BinaryReader(snapshots[i], System.Text.Encoding.UTF8, leaveOpen: true);
                    optimizers[i].Optimizer.load_state_dict(reader);
                }
                throw;
            }
        }
        finally
        {
            foreach (Stream s in snapshots) s.Dispose();
        }

        Stream Scratch()
        {
            long largest = optimizers.Max(o => file.LengthOf(o.Section));
            return largest <= InMemorySnapshotLimit
                ? new MemoryStream()
                : new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        }
    }

    private static List<(string, Tensor)> Tensors(nn.Module module) => [.. module.state_dict().Select(kv => (kv.Key, kv.Value))];

    private static Dictionary<string, Tensor> TargetsOf(nn.Module module) => new(module.state_dict(), StringComparer.Ordinal);
}
