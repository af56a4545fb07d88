using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Rollout: left-pad the prompts (each repeated <see cref="PamaTrainerOptions.SamplesPerPrompt"/> times,
/// prompt-major, so a prompt's samples are consecutive rows), sample responses with
/// <see cref="TextGenerator"/> (KV cache, the trainer's generator), then score them without gradients
/// (policy and reference log-probabilities, values) and decode them for the reward objectives.
/// </summary>
internal sealed class Rollout<TModel>(
    TModel policy,
    TModel reference,
    ValueHeads valueHeads,
    ITextTokenizer tokenizer,
    SamplingOptions sampling,
    int samplesPerPrompt,
    Generator generator,
    Device device,
    ScalarType floating) where TModel : nn.Module, ICausalLanguageModel
{
    /// <summary>Samples and scores responses to <paramref name="promptTexts"/> (token ids <paramref name="promptIds"/>).</summary>
    public RolloutBatch Run(IReadOnlyList<string> promptTexts, IReadOnlyList<int[]> promptIds)
    {
        var texts = new List<string>(promptIds.Count * samplesPerPrompt);
        var ids = new List<int[]>(promptIds.Count * samplesPerPrompt);
        for (int p = 0; p < promptIds.Count; p++)
            for (int s = 0; s < samplesPerPrompt; s++) { texts.Add(promptTexts[p]); ids.Add(promptIds[p]); }

        var (paddedIds, paddedMask) = PromptBatch.LeftPad(ids, sampling.ResolvedPadTokenId, device);
        // The result's tensors live in the caller's dispose scope (the step), which frees them; the rollout keeps
        // using them, so the result itself is not disposed here.
        GenerationResult generated = TextGenerator.Generate(policy, paddedIds, paddedMask, sampling, generator);
        var sequences = new RolloutSequences(generated.Sequences, generated.AttentionMask, generated.PositionIds,
            generated.PromptLength, generated.ResponseMask.to(floating));

        var (policyLogProbs, referenceLogProbs, values, entropy) = RolloutScoring.Score(policy, reference, valueHeads, sequences);
        var (responses, responseTexts) = Decode(sequences);
        var rewardBatch = new RewardBatch(texts, responseTexts, ids, responses, sequences.SequenceIds, sequences.AttentionMask);
        return new RolloutBatch(sequences, policyLogProbs, referenceLogProbs, values, entropy, rewardBatch);
    }

    private (List<int[]> Ids, List<string> Texts) Decode(RolloutSequences sequences)
    {
        // One copy to the host: each row's response length, then its ids.
        using var scope = NewDisposeScope();
        int width = (int)sequences.ResponseLength;
        long[] host = cat([sequences.ResponseMask.sum(1, keepdim: true).to(ScalarType.Int64), sequences.ResponseIds.to(ScalarType.Int64)], 1)
            .contiguous().cpu().data<long>().ToArray();
        int rows = host.Length / (width + 1);
        var ids = new List<int[]>(rows);
        var texts = new List<string>(rows);
        for (int b = 0; b < rows; b++)
        {
            int start = b * (width + 1);
            var response = new int[host[start]];
            for (int t = 0; t < response.Length; t++) response[t] = checked((int)host[start + 1 + t]);
            ids.Add(response);
            // Text rewards see the words only: a sampled end-of-text token would otherwise decode to its marker
            // (13 characters for GPT-2) and, for instance, inflate a length reward.
            bool ended = response.Length > 0 && response[^1] == sampling.EosTokenId;
            texts.Add(tokenizer.Decode(ended ? response[..^1] : response));
        }
        return (ids, texts);
    }
}
