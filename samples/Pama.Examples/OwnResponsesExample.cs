using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rollout;
// readme:own-responses
using static TorchSharp.torch;
// readme:end

namespace Pama.Examples;

/// <summary>README: a PPO step on responses and rewards produced elsewhere (TRL's step(queries, responses, scores)).</summary>
public static class OwnResponsesExample
{
    /// <summary>Runs the example with a trainer of two objectives.</summary>
    public static StepMetrics Run(PamaTrainer<Gpt2Model> trainer, ITextTokenizer tokenizer)
    {
        // readme:own-responses
        // Responses and scores from elsewhere (another sampler, a dataset, a reward service): one row per response,
        // one reward column per objective, in the trainer's objective order.
        string[] prompts = ["The movie was", "My favourite food is"];
        string[] responses = [" wonderful, I loved it.", " pizza with lots of cheese."];
        double[,] scores = { { 0.9, 0.2 }, { 0.4, 0.7 } };

        using var scope = NewDisposeScope();
        RolloutBatch rollout = trainer.FromResponses(
            [.. prompts.Select(tokenizer.Encode)],
            [.. responses.Select(r => (IReadOnlyList<int>)[.. tokenizer.Encode(r), tokenizer.EndOfTextId])]);
        StepMetrics m = trainer.Step(rollout, tensor(scores));   // rewards [B, n]
        // readme:end
        return m;
    }
}
