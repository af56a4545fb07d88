using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// The README's <c>PamaTrainer</c> example as a new user runs it: a tiny random GPT-2 with the packaged GPT-2 tokenizer,
/// a length objective and an objective that is always ≤ 0, default options apart from the README's sampling settings.
/// </summary>
public sealed class ReadmeScenarioTests
{
    private static readonly Gpt2Tokenizer Tokenizer = Gpt2Tokenizer.CreateDefault();

    private static IRewardObjective[] ReadmeObjectives() =>
    [
        RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 140.0, 0.5, 1.5)),
        RewardObjective.FromText("no-shouting", (prompt, response) => -response.Count(char.IsUpper) / 10.0),
    ];

    private static Gpt2Model TinyPolicy(int seed) => new(new Gpt2Config
    {
        VocabularySize = Tokenizer.VocabularySize, ContextLength = 64, HiddenSize = 16, LayerCount = 1, HeadCount = 2,
    }.WithoutDropout(), seed);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PamaMovesThePolicyWithinTheFirstThreeStepsWithDefaultOptions(int seed)
    {
        // A random GPT-2 writes ~300 characters in 48 tokens, so "length" sits at its 1.5 cap for every response (a flat
        // objective) and "no-shouting" is negative for every response. With zero value heads both facts stall PAMA
        // (the first has no advantage at all, the second none above zero); the defaults must not.
        using var policy = TinyPolicy(seed);
        using var reference = policy.Clone();
        var options = new PamaTrainerOptions { Seed = seed, Generation = new SamplingOptions { MaxNewTokens = 48, TopK = 0, TopP = 1.0 } };
        using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, Tokenizer, ReadmeObjectives(), options);
        var before = TinyModels.Snapshot(policy);
        string[] prompts = ["The movie was", "My favourite food is"];

        var reasons = new List<string>();
        bool moved = false;
        for (int step = 0; step < 3 && !moved; step++)
        {
            StepMetrics metrics = trainer.Step(prompts);
            moved = metrics.PolicyUpdated;
            reasons.Add(metrics.StationaryReason ?? "moved");
        }

        Assert.True(moved, $"seed {seed}: the policy never moved: {string.Join(" | ", reasons)}");
        Assert.False(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)), "PolicyUpdated was reported but no parameter changed");
    }
}
