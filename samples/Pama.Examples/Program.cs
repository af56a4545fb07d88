using Pama.Examples;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;

// Runs every README example on a small random GPT-2 (tests/Pama.TorchSharp.Tests/Examples runs them too).
string directory = Directory.CreateTempSubdirectory("pama-examples-").FullName;
try
{
    string model = TinyCheckpoint.Create(Path.Combine(directory, "model"));
    Console.WriteLine($"solver: {SolverExample.Run()}");
    CheckpointExample.Run(model, Path.Combine(directory, "saved"));
    using (var policy = Gpt2Model.FromPretrained(model))
        Console.WriteLine($"generation: {GenerationExample.Run(policy, Gpt2Tokenizer.CreateDefault()).Length} ids");
    CustomLoopExample.Run(model, ["The movie was", "My favourite food is"]);
    TrainerExample.Run(model, [["The movie was", "My favourite food is"]], Path.Combine(directory, "run.ckpt"), maxNewTokens: 8);

    using var trainerPolicy = Gpt2Model.FromPretrained(model);
    using var trainer = new PamaTrainer<Gpt2Model>(trainerPolicy, trainerPolicy.Clone(), Gpt2Tokenizer.CreateDefault(),
        [RewardObjective.FromText("a", (p, r) => r.Length), RewardObjective.FromText("b", (p, r) => -r.Length)], new PamaTrainerOptions());
    Console.WriteLine($"own responses: step {OwnResponsesExample.Run(trainer, Gpt2Tokenizer.CreateDefault()).Step}");
}
finally
{
    Directory.Delete(directory, recursive: true);
}
