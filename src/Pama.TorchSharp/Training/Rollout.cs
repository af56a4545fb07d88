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
    LoraAdapter? referenceAdapter,
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

        var (policyLogProbs, referenceLogProbs, values, entropy) = RolloutScoring.Score(policy, reference, referenceAdapter, valueHeads, sequences);
        var (responses, responseTexts) = Decode(sequences);
        var rewardBatch = new RewardBatch(texts, responseTexts, ids, responses, sequences.SequenceIds, sequences.AttentionMask);
        return new RolloutBatch(sequences, policyLogProbs, referenceLogProbs, values, entropy, rewardBatch);
    }

    private (List<int[]> Ids, List<string> Texts) Decode(RolloutSequences sequences)
    {
        long[] lengths = sequences.ResponseMask.sum(1).to(ScalarType.Int64).cpu().data<long>().ToArray();
        long[] flat = sequences.ResponseIds.contiguous().cpu().data<long>().ToArray();
        int width = (int)sequences.ResponseLength;
        var ids = new List<int[]>(lengths.Length);
        var texts = new List<string>(lengths.Length);
        for (int b = 0; b < lengths.Length; b++)
        {
            var response = new int[lengths[b]];
            for (int t = 0; t < response.Length; t++) response[t] = checked((int)flat[b * width + t]);
            ids.Add(response);
            // Text rewards see the words only: a sampled end-of-text token would otherwise decode to its marker
            // (13 characters for GPT-2) and, for instance, inflate a length reward.
            bool ended = response.Length > 0 && response[^1] == sampling.EosTokenId;
            texts.Add(tokenizer.Decode(ended ? response[..^1] : response));
        }
        return (ids, texts);
    }
}
