using Pama.FineTune.Rewards;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.FineTune.Experiment;

/// <summary>
/// Generates one response per held-out prompt with the training sampling settings and scores it
/// with every objective: the numbers of <c>summary.json</c> and the texts of <c>samples.txt</c>.
/// </summary>
public sealed class HeldOutEvaluator(
    ITextTokenizer tokenizer,
    IReadOnlyList<string> prompts,
    IReadOnlyList<string> objectiveNames,
    IReadOnlyList<Func<string, string, double>> rewards,
    SamplingOptions sampling,
    int batchSize)
{
    /// <summary>The responses and their rewards.</summary>
    /// <param name="Responses">Response text per prompt (end-of-text removed).</param>
    /// <param name="Rewards">Reward per prompt (rows) and objective (columns).</param>
    public sealed record Evaluation(IReadOnlyList<string> Responses, double[,] Rewards)
    {
        /// <summary>Mean reward of objective <paramref name="objective"/> over the prompts.</summary>
        public double Mean(int objective)
        {
            double sum = 0;
            for (int p = 0; p < Rewards.GetLength(0); p++) sum += Rewards[p, objective];
            return sum / Rewards.GetLength(0);
        }
    }

    /// <summary>Evaluates <paramref name="model"/>; the draws come from a CPU generator seeded with <paramref name="seed"/>.</summary>
    public Evaluation Evaluate<TModel>(TModel model, long seed) where TModel : nn.Module, ICausalLanguageModel
    {
        using var generator = new Generator(unchecked((ulong)seed));
        var responses = new List<string>(prompts.Count);
        for (int start = 0; start < prompts.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            IReadOnlyList<int>[] ids = prompts.Skip(start).Take(batchSize).Select(tokenizer.Encode).ToArray();
            (Tensor promptIds, Tensor promptMask) = PromptBatch.LeftPad(ids, tokenizer.EndOfTextId);
            using GenerationResult result = TextGenerator.Generate(model, promptIds, promptMask, sampling, generator);
            long[] flat = result.ResponseIds.cpu().data<long>().ToArray();
            int width = result.ResponseLength;
            for (int row = 0; row < ids.Length; row++)
            {
                int[] response = Array.ConvertAll(flat.AsSpan(row * width, width).ToArray(), id => (int)id);
                responses.Add(ResponseText.Decode(tokenizer, response));
            }
        }

        var scores = new double[prompts.Count, objectiveNames.Count];
        for (int p = 0; p < prompts.Count; p++)
        {
            for (int i = 0; i < objectiveNames.Count; i++)
            {
                double value = rewards[i](prompts[p], responses[p]);
                if (!double.IsFinite(value)) throw new InvalidOperationException($"Objective '{objectiveNames[i]}' gave {value} for held-out prompt {p}.");
                scores[p, i] = value;
            }
        }

        return new Evaluation(responses, scores);
    }
}
