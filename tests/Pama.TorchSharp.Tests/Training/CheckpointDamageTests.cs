using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Checkpoints;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// A damaged checkpoint is refused with an exception naming the file, the process survives, and the trainer that
/// tried to load it is exactly as it was: same parameters and, as its next step shows, same optimizer, generator,
/// KL controller and step counter.
/// </summary>
public sealed class CheckpointDamageTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-checkpoint-damage-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IRewardObjective[] Objectives(string second = "length") =>
    [
        RewardObjective.FromText("vowels", (p, r) => r.Count(c => "aeiou".Contains(c)) / 3.0),
        RewardObjective.FromText(second, (p, r) => Math.Clamp(r.Length / 4.0, 0.5, 1.5)),
    ];

    private static PamaTrainerOptions Options() => TinyModels.Options() with
    {
        MiniBatches = 2,
        SamplesPerPrompt = 2,
        AdaptiveKl = new AdaptiveKlOptions(TargetKl: 0.01, Horizon: 20),
    };

    /// <summary>A new trainer on a differently initialised policy, and that policy.</summary>
    private static (PamaTrainer<Gpt2Model> Trainer, Gpt2Model Policy) Fresh(string second = "length")
    {
        var policy = TinyModels.Gpt2(77);
        return (new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(second), Options()), policy);
    }

    /// <summary>A checkpoint of a trainer that has stepped twice, so every part of its state differs from a fresh trainer's.</summary>
    private string SavedCheckpoint()
    {
        string path = Path.Combine(_directory, "good.ckpt");
        using var trainer = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), Options());
        trainer.Step(TinyModels.Prompts);
        trainer.Step(TinyModels.Prompts);
        trainer.Save(path);
        return path;
    }

    private static (long Offset, long Length)[] Sections(string path)
    {
        using SectionReader reader = SectionReader.Open(path);
        // Sections tile the file in order, so offsets follow from the lengths.
        long offset = CheckpointFormat.HeaderLength;
        var ranges = new List<(long, long)>();
        foreach (string name in reader.SectionNames)
        {
            ranges.Add((offset, reader.LengthOf(name)));
            offset += reader.LengthOf(name);
        }
        return [.. ranges];
    }

    [Fact]
    public void TruncatedAndBitFlippedCheckpointsAreRefusedAndLeaveTheTrainerAsItWas()
    {
        string good = SavedCheckpoint();
        byte[] bytes = File.ReadAllBytes(good);
        var sections = Sections(good);
        long generatorStart = sections[1].Offset;

        // Truncation points: inside the header, at every section boundary and inside every section (the generator
        // state several times), inside the table of contents and the trailer, and evenly across the file.
        var cuts = new SortedSet<long> { 0, 1, 5, 27, 28, 30, CheckpointFormat.HeaderLength, bytes.Length - 1, bytes.Length - 8, bytes.Length - 16, bytes.Length - 20 };
        foreach (var (offset, length) in sections)
            foreach (long at in new[] { offset, offset + 1, offset + length / 2, offset + length - 1 }) cuts.Add(at);
        for (long at = generatorStart; at < generatorStart + 5060; at += 500) cuts.Add(at);
        for (int i = 1; i < 20; i++) cuts.Add(bytes.Length * (long)i / 20);
        // Byte flips: in the magic, the version, every section (first, middle, last byte), the contents and the checksum.
        var flips = new SortedSet<long> { 0, 3, 28, 30, bytes.Length - 1, bytes.Length - 9, bytes.Length - 12, bytes.Length - 30 };
        foreach (var (offset, length) in sections)
            foreach (long at in new[] { offset, offset + length / 2, offset + length - 1 }) flips.Add(at);
        for (int i = 1; i < 12; i++) flips.Add(bytes.Length * (long)i / 12 + 3);

        var (damaged, damagedPolicy) = Fresh();
        var (untouched, untouchedPolicy) = Fresh();
        using var disposeDamaged = damaged;
        using var disposeUntouched = untouched;
        var before = TinyModels.Snapshot(damaged.ValueHeads);
        var policyBefore = TinyModels.Snapshot(damagedPolicy);
        string path = Path.Combine(_directory, "damaged.ckpt");
        foreach (long cut in cuts)
        {
            File.WriteAllBytes(path, bytes[..(int)cut]);
            var error = Assert.Throws<InvalidDataException>(() => damaged.Load(path));
            Assert.Contains(path, error.Message);
        }
        foreach (long at in flips)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[at] ^= 0x5A;
            File.WriteAllBytes(path, copy);
            var error = Assert.Throws<InvalidDataException>(() => damaged.Load(path));
            Assert.Contains(path, error.Message);
        }

        Assert.True(TinyModels.BitwiseEqual(policyBefore, TinyModels.Snapshot(damagedPolicy)));
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(damaged.ValueHeads)));
        Assert.Equal(0, damaged.StepCount);
        Assert.Equal(Options().KlCoefficient, damaged.KlCoefficient);
        // Optimizer moments, generator and KL controller: the next step equals that of a trainer that never saw a damaged file.
        StepMetrics a = damaged.Step(TinyModels.Prompts), b = untouched.Step(TinyModels.Prompts);
        Assert.Equal(b.PolicyLoss, a.PolicyLoss);
        Assert.Equal(b.MeanRewards, a.MeanRewards);
        Assert.Equal(b.ValueLosses, a.ValueLosses);
        Assert.Equal(b.KlCoefficient, a.KlCoefficient);
        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(untouchedPolicy), TinyModels.Snapshot(damagedPolicy)));

        // And the undamaged file still loads into the same trainer.
        damaged.Load(good);
        Assert.Equal(2, damaged.StepCount);
    }

    [Fact]
    public void ACheckpointWithOtherObjectiveNamesIsRefusedNamingBothSets()
    {
        string good = SavedCheckpoint();
        var (trainer, policy) = Fresh(second: "politeness");
        using var dispose = trainer;
        var policyBefore = TinyModels.Snapshot(policy);

        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(good));
        Assert.Contains(good, error.Message);
        Assert.Contains("vowels, length", error.Message);
        Assert.Contains("vowels, politeness", error.Message);
        Assert.True(TinyModels.BitwiseEqual(policyBefore, TinyModels.Snapshot(policy)));
    }

    [Fact]
    public void AGeneratorStateOfTheWrongSizeIsRefusedEvenWithAValidChecksum()
    {
        // A file whose checksum is right but whose generator state is 39 bytes: libtorch would abort the process on it.
        string good = SavedCheckpoint();
        string forged = Path.Combine(_directory, "forged.ckpt");
        var sections = new List<(string Name, byte[] Bytes)>();
        using (SectionReader reader = SectionReader.Open(good))
            foreach (string name in reader.SectionNames)
                sections.Add((name, reader.Read(name, r => r.ReadBytes((int)reader.LengthOf(name)))));
        var writer = new SectionWriter();
        foreach (var (name, payload) in sections)
        {
            writer.Add(name, w =>
            {
                if (name == "generator") { w.Write(39); w.Write(new byte[39]); }
                else w.Write(payload);
            });
        }
        writer.Save(forged);

        var (trainer, policy) = Fresh();
        using var dispose = trainer;
        var policyBefore = TinyModels.Snapshot(policy);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(forged));
        Assert.Contains(forged, error.Message);
        Assert.Contains("generator", error.Message);
        Assert.True(TinyModels.BitwiseEqual(policyBefore, TinyModels.Snapshot(policy)));
    }

    [Fact]
    public void AnOptimizerStateRefusedHalfWayIsRolledBack()
    {
        // A checksummed file whose policy-optimizer section fits but whose value-optimizer section belongs to a
        // three-objective trainer: TorchSharp loads the first, then refuses the second. The first must be undone.
        string good = SavedCheckpoint();
        string threeObjectives = Path.Combine(_directory, "three.ckpt");
        using (var three = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer,
                   [.. Objectives(), RewardObjective.FromText("third", (p, r) => 1.0)], Options()))
        {
            three.Step(TinyModels.Prompts);
            three.Save(threeObjectives);
        }
        byte[] foreignValueOptimizer;
        using (SectionReader reader = SectionReader.Open(threeObjectives))
            foreignValueOptimizer = reader.Read("value-optimizer", r => r.ReadBytes((int)reader.LengthOf("value-optimizer")));
        string forged = Path.Combine(_directory, "forged.ckpt");
        var writer = new SectionWriter();
        using (SectionReader reader = SectionReader.Open(good))
            foreach (string name in reader.SectionNames)
            {
                byte[] payload = name == "value-optimizer" ? foreignValueOptimizer : reader.Read(name, r => r.ReadBytes((int)reader.LengthOf(name)));
                writer.Add(name, w => w.Write(payload));
            }
        writer.Save(forged);

        var (damaged, damagedPolicy) = Fresh();
        var (untouched, _) = Fresh();
        using var disposeDamaged = damaged;
        using var disposeUntouched = untouched;
        var policyBefore = TinyModels.Snapshot(damagedPolicy);
        var error = Assert.Throws<InvalidDataException>(() => damaged.Load(forged));
        Assert.Contains(forged, error.Message);
        Assert.Contains("value-optimizer", error.Message);
        Assert.True(TinyModels.BitwiseEqual(policyBefore, TinyModels.Snapshot(damagedPolicy)));
        // Had the policy optimizer kept the stored moments, this step would differ from a fresh trainer's.
        StepMetrics a = damaged.Step(TinyModels.Prompts), b = untouched.Step(TinyModels.Prompts);
        Assert.Equal(b.PolicyLoss, a.PolicyLoss);
        Assert.Equal(b.ValueLosses, a.ValueLosses);
        Assert.Equal(b.Kl, a.Kl);
    }

    [Fact]
    public void AFormatOneCheckpointIsRefusedWithTheReason()
    {
        // Format 1: the magic string and version 1, as the previous release wrote them.
        string old = Path.Combine(_directory, "old.ckpt");
        using (var writer = new BinaryWriter(File.Create(old)))
        {
            writer.Write(CheckpointFormat.Magic);
            writer.Write(1);
            writer.Write(2);
            writer.Write(new byte[6000]);
        }
        using var trainer = Fresh().Trainer;
        var error = Assert.Throws<InvalidDataException>(() => trainer.Load(old));
        Assert.Contains(old, error.Message);
        Assert.Contains("format 1", error.Message);
    }
}
