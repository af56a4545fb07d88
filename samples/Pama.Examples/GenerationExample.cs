// readme:generation
using Pama.TorchSharp.Generation;
using TorchSharp;
using static TorchSharp.torch;
// readme:end
using Pama.TorchSharp.Models;

namespace Pama.Examples;

/// <summary>README: batched sampling with <see cref="TextGenerator"/>.</summary>
public static class GenerationExample
{
    /// <summary>Samples two responses; returns the response ids <c>[B, N]</c> as host arrays.</summary>
    public static long[] Run(Gpt2Model policy, Gpt2Tokenizer tokenizer)
    {
        // readme:generation
        var prompts = new[] { "The movie was", "My favourite food is" }.Select(t => (IReadOnlyList<int>)tokenizer.Encode(t)).ToList();
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad(prompts, tokenizer.EndOfTextId, policy.Device);
        var options = new SamplingOptions { MaxNewTokens = 48, Temperature = 0.7, TopK = 50, TopP = 0.95, EosTokenId = tokenizer.EndOfTextId };
        using var generator = new Generator(seed: 42);                       // yours; same seed, same samples
        using GenerationResult result = TextGenerator.Generate(policy, ids, mask, options, generator);
        // result.Sequences [B, P+N], result.ResponseIds [B, N], result.ResponseMask [B, N] (1 through the first EOS),
        // result.AttentionMask / result.PositionIds [B, P+N]: one forward pass over Sequences with these re-scores
        // every response token exactly as sampled (logits at P-1+j score response token j).
        // readme:end
        return result.ResponseIds.cpu().data<long>().ToArray();
    }
}
