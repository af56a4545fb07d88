using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;

namespace Pama.Benchmarks;

/// <summary>The shared setting of the training-step benchmarks: model, prompts, objectives, options.</summary>
public static class TrainingStepSetup
{
    /// <summary>Eight fixed prompts (one step samples one response each).</summary>
    public static readonly string[] Prompts =
    [
        "The movie was", "I think that", "Yesterday we went to", "The best part of the book",
        "My favourite food is", "In the morning the city", "She opened the door and", "This product is",
    ];

    /// <summary>
    /// A trainer for <paramref name="stepCase"/> on a small random GPT-2 (2 layers, width 128, 4 heads, GPT-2's
    /// 50257-token vocabulary and tokenizer, float32, CPU), paper defaults (4 PPO epochs, 1 minibatch), 24 new
    /// tokens per response, seed 7. A first step is taken so that value heads and optimizer state are warm.
    /// </summary>
    public static PamaTrainer<Gpt2Model> Trainer(StepCase stepCase)
    {
        var config = new Gpt2Config { ContextLength = 64, HiddenSize = 128, LayerCount = 2, HeadCount = 4 }.WithoutDropout();
        var objectives = Enumerable.Range(0, stepCase.Objectives).Select(Objective).ToArray();
        var options = new PamaTrainerOptions
        {
            Method = stepCase.Method,
            Seed = 7,
            Generation = new SamplingOptions { MaxNewTokens = 24 },
        };
        var trainer = new PamaTrainer<Gpt2Model>(new Gpt2Model(config, 1), new Gpt2Model(config, 1), Gpt2Tokenizer.CreateDefault(), objectives, options);
        trainer.Step(Prompts);
        return trainer;
    }

    // Cheap objectives that disagree: a length term and the share of one letter each in the response.
    private static IRewardObjective Objective(int k) => k == 0
        ? RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 70.0, 0.5, 1.5))
        : RewardObjective.FromText($"letter-{"etaoinsh"[k % 8]}", (prompt, response) =>
            (response.Count(c => c == "etaoinsh"[k % 8]) + 1.0) / (response.Length + 1.0));
}

/// <summary>A benchmark configuration: a method and a number of objectives.</summary>
/// <param name="Name">Display name.</param>
/// <param name="Method">Multi-objective method.</param>
/// <param name="Objectives">Number of objectives.</param>
public sealed record StepCase(string Name, IMultiObjectiveMethod Method, int Objectives)
{
    /// <summary>Single-objective Noon PPO (PAMA with one objective).</summary>
    public static readonly StepCase NoonPpo = new("Noon PPO n=1", new PamaMethod(), 1);

    /// <summary>Single-objective Noon PPO, PAMA at n = 2, 4, 8, MORLHF and MGDA-UB at n = 2 and 8.</summary>
    public static readonly StepCase[] All =
    [
        NoonPpo,
        new("PAMA n=2", new PamaMethod(), 2),
        new("PAMA n=4", new PamaMethod(), 4),
        new("PAMA n=8", new PamaMethod(), 8),
        new("MORLHF n=2", new MorlhfMethod(), 2),
        new("MORLHF n=8", new MorlhfMethod(), 8),
        new("MGDA-UB n=2", new MgdaUbMethod(), 2),
        new("MGDA-UB n=8", new MgdaUbMethod(), 8),
    ];

    /// <inheritdoc />
    public override string ToString() => Name;
}
