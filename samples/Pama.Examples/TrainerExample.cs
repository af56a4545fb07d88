// readme:trainer
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
// readme:end

namespace Pama.Examples;

/// <summary>README: the whole step with <see cref="PamaTrainer{TModel}"/>.</summary>
public static class TrainerExample
{
    /// <summary>Runs the example on a checkpoint directory and batches of prompts; returns the metrics of every step.</summary>
    public static List<StepMetrics> Run(string modelDirectory, IEnumerable<string[]> batches, string checkpointPath, int maxNewTokens = 48)
    {
        var log = new List<StepMetrics>();
        // readme:trainer
        using var policy = AutoModelForCausalLM.FromPretrained(modelDirectory); // GPT-2, Llama, Mistral or Qwen2 folder; trained in place
        using var reference = policy.Clone();                                   // frozen π_ref (the trainer freezes it)
        var tokenizer = AutoTokenizer.FromPretrained(modelDirectory);           // the folder's own tokenizer

        IRewardObjective[] objectives =
        [
            RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 140.0, 0.5, 1.5)),
            RewardObjective.FromText("no-shouting", (prompt, response) => 1.0 - response.Count(char.IsUpper) / (response.Length + 1.0)),
            // or RewardObjective.FromTokenIds(name, (promptIds, responseIds) => ...)
            // or new RewardModelObjective(name, module)   // module: (ids [B,L], mask [B,L]) -> scores [B]
        ];

        var options = new PamaTrainerOptions
        {
            Method = new PamaMethod(),                         // or new MorlhfMethod(0.3, 0.7), new MgdaUbMethod(), your own
            LearningRateSchedule = LearningRateSchedule.LinearWarmupDecay(warmupSteps: 10, totalSteps: 1000),
            Seed = 1,
            Generation = new SamplingOptions { MaxNewTokens = maxNewTokens, TopK = 0, TopP = 1.0, BatchSize = 16 },
            ScoringMicroBatch = MicroBatchSize.Rows(8),           // rows per scoring pass: memory, not the result
            UpdateMicroBatch = MicroBatchSize.Rows(1),            // rows per forward/backward (at most a minibatch), gradients accumulated
        };

        using var trainer = new PamaTrainer<CausalLanguageModel>(policy, reference, tokenizer, objectives, options);
        if (File.Exists(checkpointPath)) trainer.Load(checkpointPath);   // resume exactly where the run stopped

        foreach (string[] prompts in batches)                    // your data loader
        {
            StepMetrics m = trainer.Step(prompts);               // or trainer.Step(promptTokenIds)
            Console.WriteLine($"step {m.Step}: rewards [{string.Join(", ", m.MeanRewards)}] " +
                              $"c [{string.Join(", ", m.Weights)}] s* {m.OptimalValue} KL {m.Kl:F3} " +
                              $"policy updated {m.PolicyUpdated} {m.TokensPerSecond:F0} tok/s");
            if (m.Step % 50 == 0) trainer.Save(checkpointPath);  // atomic: the old file survives a crash
            // readme:end
            log.Add(m);
        // readme:trainer
        }
        // readme:end
        trainer.Save(checkpointPath);
        return log;
    }
}
