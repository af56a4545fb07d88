using Pama.TorchSharp.IO;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Checkpoints;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Resuming from a checkpoint equals never stopping; saving is atomic.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IRewardObjective[] Objectives() => TinyModels.VowelsAndLength();

    private static PamaTrainerOptions Options() => TinyModels.Options() with
    {
        MiniBatches = 2,
        SamplesPerPrompt = 2,
        AdaptiveKl = new AdaptiveKlOptions(TargetKl: 0.01, Horizon: 20),
    };

    [Fact]
    public void ResumingFromACheckpointGivesTheSameStepsAsNeverStopping()
    {
        string path = Path.Combine(_directory, "trainer.ckpt");
        using var original = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), Options());
        original.Step(TinyModels.Prompts);
        original.Step(TinyModels.Prompts);
        original.Save(path);
        StepMetrics[] continued = [original.Step(TinyModels.Prompts), original.Step(TinyModels.Prompts)];

        // Fresh objects: a differently initialised policy, the same pretrained reference.
        using var resumed = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(77), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), Options());
        resumed.Load(path);
        Assert.Equal(2, resumed.StepCount);
        StepMetrics[] afterLoad = [resumed.Step(TinyModels.Prompts), resumed.Step(TinyModels.Prompts)];

        Assert.NotEqual(Options().KlCoefficient, continued[0].KlCoefficient); // the controller state mattered
        for (int s = 0; s < 2; s++)
        {
            Assert.Equal(continued[s].Step, afterLoad[s].Step);
            Assert.Equal(continued[s].KlCoefficient, afterLoad[s].KlCoefficient, 12);
            Assert.Equal(continued[s].PolicyLoss, afterLoad[s].PolicyLoss, 1e-6);
            Assert.Equal(continued[s].Kl, afterLoad[s].Kl, 1e-6);
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(continued[s].ValueLosses[i], afterLoad[s].ValueLosses[i], 1e-6);
                Assert.Equal(continued[s].MeanRewards[i], afterLoad[s].MeanRewards[i], 1e-6);
                Assert.Equal(continued[s].Weights[i], afterLoad[s].Weights[i], 1e-6);
            }
        }
    }

    [Fact]
    public void AFailingWriteLeavesThePreviousCheckpointIntact()
    {
        string path = Path.Combine(_directory, "trainer.ckpt");
        using var trainer = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), Options());
        trainer.Save(path);
        byte[] saved = File.ReadAllBytes(path);

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new IOException("disk full");
        }));

        Assert.Equal(saved, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void LoadingACheckpointOfAnotherConfigurationIsRejectedNamingTheFile()
    {
        string path = Path.Combine(_directory, "trainer.ckpt");
        using (var two = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), Options()))
            two.Save(path);
        using var one = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives()[..1], Options());

        var error = Assert.Throws<InvalidDataException>(() => one.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("2 objectives", error.Message);
    }
}
