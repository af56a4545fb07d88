using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>
/// The trainer's rollout: left-pad the prompts (each repeated <see cref="PamaTrainerOptions.SamplesPerPrompt"/> times,
/// prompt-major, so a prompt's samples are consecutive rows), sample responses with <see cref="TextGenerator"/>
/// (KV cache, the trainer's generator) or take given ones, then score them without gradients (policy and reference
/// log-probabilities, values) and decode them for the reward objectives.
/// </summary>
internal sealed class RolloutSampler<TModel>(
    TModel policy,
    TModel reference,
    LoraAdapter? referenceAdapter,
    ValueHeads valueHeads,
    ITextTokenizer tokenizer,
    SamplingOptions sampling,
    int samplesPerPrompt,
    Generator generator,
    Device device,
    ScalarType floating,
    MicroBatchSize? scoringMicroBatch = null) where TModel : nn.Module, ICausalLanguageModel
{
    /// <summary>The id that ends a response.</summary>
    public int EndOfTextId => sampling.EosTokenId ?? tokenizer.EndOfTextId;

    /// <summary>Samples and scores responses to <paramref name="promptTexts"/> (token ids <paramref name="promptIds"/>).</summary>
    /// <param name="promptTexts">The prompts' texts.</param>
    /// <param name="promptIds">The prompts' token ids.</param>
    /// <param name="slice">Where the rows sit in the batch of all ranks of a data-parallel run (<c>null</c> in one process).</param>
    public RolloutBatch Sample(IReadOnlyList<string> promptTexts, IReadOnlyList<int[]> promptIds, BatchSlice? slice = null)
    {
        var texts = new List<string>(promptIds.Count * samplesPerPrompt);
        var ids = new List<int[]>(promptIds.Count * samplesPerPrompt);
        for (int p = 0; p < promptIds.Count; p++)
            for (int s = 0; s < samplesPerPrompt; s++) { texts.Add(promptTexts[p]); ids.Add(promptIds[p]); }

        var (paddedIds, paddedMask) = PromptBatch.LeftPad(ids, sampling.ResolvedPadTokenId, device);
        // The result's tensors live in the caller's dispose scope, which frees them; the rollout keeps using them,
        // so the result itself is not disposed here.
        GenerationResult generated = TextGenerator.Generate(policy, paddedIds, paddedMask, sampling, generator, slice);
        return Score(texts, ids, RolloutSequences.FromGeneration(generated, floating));
    }

    /// <summary>
    /// Lays out given responses like sampled ones (left-padded prompt, right-padded response, masks and positions) and
    /// scores them. Row <c>b</c> is prompt <c>b</c> followed by response <c>b</c>.
    /// </summary>
    public RolloutBatch FromResponses(IReadOnlyList<string> promptTexts, IReadOnlyList<int[]> promptIds, IReadOnlyList<int[]> responseIds)
    {
        int rows = promptIds.Count, width = responseIds.Max(r => r.Length);
        var (paddedIds, paddedMask) = PromptBatch.LeftPad(promptIds, sampling.ResolvedPadTokenId, device);
        var responses = new long[rows * width];
        var mask = new long[rows * width];
        for (int b = 0; b < rows; b++)
            for (int t = 0; t < width; t++)
            {
                bool real = t < responseIds[b].Length;
                responses[b * width + t] = real ? responseIds[b][t] : sampling.ResolvedPadTokenId;
                mask[b * width + t] = real ? 1 : 0;
            }
        Tensor responseMask = tensor(mask, [rows, width], ScalarType.Int64, device);
        Tensor sequenceIds = cat([paddedIds, tensor(responses, [rows, width], ScalarType.Int64, device)], 1);
        Tensor attentionMask = cat([paddedMask, responseMask], 1);
        var sequences = new RolloutSequences(sequenceIds, attentionMask, PromptBatch.PositionIds(attentionMask),
            paddedIds.shape[1], responseMask.to(floating));
        return Score(promptTexts, promptIds, sequences);
    }

    private RolloutBatch Score(IReadOnlyList<string> promptTexts, IReadOnlyList<int[]> promptIds, RolloutSequences sequences)
    {
        long? rowsPerPass = scoringMicroBatch?.RowsFor(sequences.SequenceIds.shape[1], nameof(PamaTrainerOptions.ScoringMicroBatch));
        var (policyLogProbs, referenceLogProbs, values, entropy) = RolloutScoring.Score(policy, reference, referenceAdapter, valueHeads, sequences, rowsPerPass);
        int[][] responses = sequences.ResponseTokenIds();
        string[] responseTexts = [.. responses.Select(r => ResponseText.Decode(tokenizer, r, EndOfTextId))];
        var rewardBatch = new RewardBatch(promptTexts, responseTexts, promptIds, responses, sequences.SequenceIds, sequences.AttentionMask);
        return new RolloutBatch(sequences, policyLogProbs, referenceLogProbs, values, entropy, rewardBatch);
    }
}
