using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Rewards;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Rollout: encode and left-pad the prompts (each repeated <see cref="PamaTrainerOptions.SamplesPerPrompt"/>
/// times, prompt-major), sample responses from the policy, then score them without gradients.
/// </summary>
internal sealed class Rollout(
    ICausalLanguageModel policy,
    ICausalLanguageModel reference,
    ValueHeads valueHeads,
    ITextTokenizer tokenizer,
    PamaTrainerOptions options,
    Generator generator)
{
    public RolloutBatch Run(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("At least one prompt is required.", nameof(prompts));
        int samples = options.SamplesPerPrompt;
        var promptTexts = new List<string>(prompts.Count * samples);
        var promptIds = new List<int[]>(prompts.Count * samples);
        for (int p = 0; p < prompts.Count; p++)
        {
            string text = prompts[p] ?? throw new ArgumentException($"Prompt {p} is null.", nameof(prompts));
            int[] ids = [.. tokenizer.Encode(text)];
            if (ids.Length == 0) throw new ArgumentException($"Prompt {p} encodes to no tokens.", nameof(prompts));
            for (int s = 0; s < samples; s++) { promptTexts.Add(text); promptIds.Add(ids); }
        }

        Device device = valueHeads.parameters().First().device;
        ScalarType floating = valueHeads.parameters().First().dtype;
        RolloutSequences sequences = Sample(promptIds, device, floating);
        var (policyLogProbs, referenceLogProbs, values, entropy) = RolloutScoring.Score(policy, reference, valueHeads, sequences);

        long[] lengths = sequences.ResponseMask.sum(1).to(ScalarType.Int64).cpu().data<long>().ToArray();
        long[] responseIds = sequences.ResponseIds.contiguous().cpu().data<long>().ToArray();
        long width = sequences.ResponseLength;
        var responses = new List<int[]>(lengths.Length);
        var responseTexts = new List<string>(lengths.Length);
        for (int b = 0; b < lengths.Length; b++)
        {
            int[] ids = [.. responseIds.AsSpan((int)(b * width), (int)lengths[b]).ToArray().Select(id => (int)id)];
            responses.Add(ids);
            responseTexts.Add(tokenizer.Decode(ids));
        }
        var texts = new RewardBatch(promptTexts, responseTexts, promptIds, responses, sequences.SequenceIds, sequences.AttentionMask);
        return new RolloutBatch(sequences, policyLogProbs, referenceLogProbs, values, entropy, texts);
    }

    // INTERIM until the Generation sampler lands: plain multinomial sampling without a KV cache.
    private RolloutSequences Sample(List<int[]> promptIds, Device device, ScalarType floating)
    {
        using var noGrad = no_grad();
        int rows = promptIds.Count, width = promptIds.Max(p => p.Length);
        var ids = new long[rows * width];
        var mask = new long[rows * width];
        for (int b = 0; b < rows; b++)
        {
            int offset = width - promptIds[b].Length;
            for (int t = 0; t < promptIds[b].Length; t++) { ids[b * width + offset + t] = promptIds[b][t]; mask[b * width + offset + t] = 1; }
        }
        Tensor sequence = tensor(ids, [rows, width], ScalarType.Int64, device);
        Tensor attention = tensor(mask, [rows, width], ScalarType.Int64, device);
        Tensor finished = zeros(rows, ScalarType.Bool, device);
        var responseMask = new List<Tensor>();
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            var output = policy.Forward(sequence, attention, RolloutSequences.PositionsFromMask(attention));
            Tensor next = output.Logits.select(1, -1).softmax(-1).multinomial(1, generator: generator).squeeze(-1);
            next = where(finished, full_like(next, tokenizer.EndOfTextId), next);
            Tensor alive = finished.logical_not();
            responseMask.Add(alive.to(floating));
            sequence = cat([sequence, next.unsqueeze(1)], 1);
            attention = cat([attention, alive.to(ScalarType.Int64).unsqueeze(1)], 1);
            finished = finished.logical_or(next.eq(tokenizer.EndOfTextId));
        }
        return new RolloutSequences(sequence, attention, RolloutSequences.PositionsFromMask(attention), width, stack(responseMask, 1));
    }
}
