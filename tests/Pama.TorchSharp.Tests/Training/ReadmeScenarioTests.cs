using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;
using Xunit.Abstractions;

namespace Pama.TorchSharp.Tests.Training;

public sealed class ReadmeScenarioTests(ITestOutputHelper output)
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.CreateDefault();

    [Theory]
    [InlineData(1)]
    
    
    
    public void Explore(int seed)
    {
        var config = new Gpt2Config { VocabularySize = Tokenizer.VocabularySize, ContextLength = 64, HiddenSize = 32, LayerCount = 2, HeadCount = 2 }.WithoutDropout();
        using var policy = new Gpt2Model(config, seed);
        using var reference = policy.Clone();
        IRewardObjective[] objectives =
        [
            RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 140.0, 0.5, 1.5)),
            RewardObjective.FromText("no-shouting", (prompt, response) => -response.Count(char.IsUpper) / 10.0),
        ];
        var options = new PamaTrainerOptions { Seed = seed, Generation = new SamplingOptions { MaxNewTokens = 48, TopK = 0, TopP = 1.0 } };
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, Tokenizer, objectives, options);
        string[] prompts = ["The movie was", "My favourite food is", "Tell me about", "Once upon a time"];
        for (int s = 0; s < 3; s++)
        {
            StepMetrics m = trainer.Step(prompts);
            output.WriteLine($"step {m.Step}: rewards [{string.Join(", ", m.MeanRewards)}] c [{string.Join(", ", m.Weights)}] s* {m.OptimalValue} stationary {m.StationaryUpdates}/{m.Updates} updated {m.PolicyUpdated} {m.StationaryReason} V={string.Join(",", TinyModels.Snapshot(trainer.ValueHeads)["bias"])}");
        }
    }
}
