using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Training;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;

namespace Pama.TorchSharp.Tests;

/// <summary>
/// The test assembly's entry point (the test SDK's generated one is turned off in the project file). Test runners
/// never call it; tests that need a second process, one they can kill, start this assembly with <c>dotnet</c>.
/// </summary>
public static class ChildProcess
{
    /// <summary>The verb that makes the child save a trainer checkpoint over and over until it is killed.</summary>
    public const string SaveCheckpointsForever = "save-checkpoints-forever";

    /// <summary>Runs the verb in <paramref name="args"/>[0].</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == SaveCheckpointsForever)
        {
            using var trainer = new PamaTrainer<Gpt2Model>(
                TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer,
                [RewardObjective.FromText("length", (p, r) => r.Length)], TinyModels.Options());
            for (long saves = 1; ; saves++)
            {
                trainer.Save(args[1]);
                Console.Out.WriteLine(saves);
                Console.Out.Flush();
            }
        }
        Console.Error.WriteLine($"usage: {SaveCheckpointsForever} <path>");
        return 2;
    }
}
