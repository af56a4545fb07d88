using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Generation;

/// <summary>
/// Batched autoregressive sampling from a causal language model, with or without a key/value cache.
/// </summary>
/// <remarks>
/// <para>Each step scores the next token of every sequence, applies <see cref="SamplingOptions"/>
/// (temperature, top-k, top-p) and draws one token per row with <c>torch.multinomial</c> from the caller's
/// generator, or takes the arg-max when the temperature is 0. Every step draws for every row, finished or
/// not, so the generator's state advances the same way whatever the model outputs; a seed fixes the samples,
/// and cached and uncached decoding produce the same tokens (exactly in float64; in float32 their logits
/// differ by rounding, so a draw within rounding of a boundary could differ).</para>
/// <para>Rows that produced the end token get the pad token afterwards and response mask 0. The model runs
/// in evaluation mode under <c>no_grad</c>; its previous mode is restored afterwards.</para>
/// </remarks>
public static class TextGenerator
{
    /// <summary>Samples continuations of a batch of left-padded prompts.</summary>
    /// <typeparam name="TModel">The model type.</typeparam>
    /// <param name="model">The model; its parameters' device is used for all tensors.</param>
    /// <param name="promptIds">Left-padded prompt ids, int64 <c>[B, P]</c> (see <see cref="PromptBatch.LeftPad"/>).</param>
    /// <param name="promptMask">Prompt mask <c>[B, P]</c>: zeros then ones in each row, at least one real token.</param>
    /// <param name="options">Sampling options.</param>
    /// <param name="generator">Source of randomness, owned by the caller. TorchSharp 0.107 creates only CPU generators, so pass a CPU generator; probabilities are copied to it for the draw.</param>
    /// <returns>Sequences, masks and position ids, on the model's device.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, a prompt row is empty or not left-padded, an option is invalid,
    /// or prompt plus <see cref="SamplingOptions.MaxNewTokens"/> exceeds the model's context length.</exception>
    public static GenerationResult Generate<TModel>(TModel model, Tensor promptIds, Tensor promptMask, SamplingOptions options, Generator generator)
        where TModel : nn.Module, ICausalLanguageModel
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(promptMask);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate(model.VocabularySize);
        if (promptIds.dim() != 2 || promptIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"promptIds must be int64 [B, P], got {promptIds.dtype} [{string.Join(", ", promptIds.shape)}].", nameof(promptIds));
        if (!promptMask.shape.SequenceEqual(promptIds.shape))
            throw new ArgumentException($"promptMask [{string.Join(", ", promptMask.shape)}] must have the shape of promptIds [{string.Join(", ", promptIds.shape)}].", nameof(promptMask));
        int promptLength = checked((int)promptIds.shape[1]);
        if (promptLength == 0) throw new ArgumentException("Prompts must hold at least one column.", nameof(promptIds));
        if (promptLength + options.MaxNewTokens > model.ContextLength)
            throw new ArgumentException(
                $"Prompt length {promptLength} plus MaxNewTokens {options.MaxNewTokens} exceeds the model's context length {model.ContextLength}.", nameof(options));

        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            Device device = model.parameters().FirstOrDefault()?.device ?? CPU;
            Tensor mask = promptMask.to(device).ne(0).to_type(ScalarType.Int64);
            RequireLeftPadded(mask);
            Tensor ids = promptIds.to(device);
            GenerationResult result = options.UseKeyValueCache && model.SupportsKeyValueCache
                ? Decode(model, ids, mask, options, generator, cached: true)
                : Decode(model, ids, mask, options, generator, cached: false);
            foreach (Tensor t in new[] { result.Sequences, result.AttentionMask, result.PositionIds, result.ResponseMask, result.ResponseIds })
                t.MoveToOuterDisposeScope();
            return result;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Picks one token per row from next-token logits <c>[B, V]</c>.</summary>
    /// <param name="logits">Next-token logits.</param>
    /// <param name="options">Temperature, top-k and top-p.</param>
    /// <param name="generator">Source of randomness (unused when the temperature is 0).</param>
    /// <returns>int64 token ids <c>[B]</c> on the logits' device.</returns>
    /// <exception cref="ArgumentException">The logits are not <c>[B, V]</c> or an option is invalid.</exception>
    /// <exception cref="InvalidOperationException">A row of logits contains NaN; the message names the row.</exception>
    public static Tensor ChooseTokens(Tensor logits, SamplingOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        if (logits.dim() != 2)
            throw new ArgumentException($"logits must be [B, V], got [{string.Join(", ", logits.shape)}].", nameof(logits));
        using (Tensor nanRows = logits.isnan().any(-1))
        {
            if (nanRows.any().item<bool>())
            {
                using Tensor firstRow = nanRows.to_type(ScalarType.Int64).argmax();
                throw new InvalidOperationException($"The model produced NaN logits for batch row {firstRow.item<long>()}.");
            }
        }
        if (options.Temperature == 0) return logits.argmax(-1);

        using var scope = NewDisposeScope();
        // Temperature, filters and softmax in float64: the probabilities add no rounding of their own.
        Tensor scaled = logits.to_type(ScalarType.Float64) / options.Temperature;
        scaled = LogitsFilters.TopK(scaled, options.TopK);
        scaled = LogitsFilters.TopP(scaled, options.TopP);
        Tensor probabilities = scaled.softmax(-1);
        Device target = logits.device;
        if (probabilities.device.type != generator.device.type || probabilities.device.index != generator.device.index)
            probabilities = probabilities.to(generator.device);
        Tensor drawn = probabilities.multinomial(1, replacement: false, generator: generator).squeeze(-1);
        return drawn.to(target).MoveToOuterDisposeScope();
    }

    private static GenerationResult Decode<TModel>(TModel model, Tensor promptIds, Tensor promptMask, SamplingOptions options,
        Generator generator, bool cached)
        where TModel : nn.Module, ICausalLanguageModel
    {
        long batch = promptIds.shape[0];
        Device device = promptIds.device;
        int pad = options.ResolvedPadTokenId;
        using KeyValueCache? cache = cached ? model.CreateKeyValueCache() : null;

        Tensor sequences = promptIds;
        Tensor mask = promptMask;                       // [B, P + n]: prompt mask, then ones for generated tokens
        Tensor positions = PromptBatch.PositionIds(mask);
        Tensor finished = zeros(batch, ScalarType.Bool, device);
        var responseMask = new List<Tensor>();

        Tensor logits = LastLogits(model.Forward(sequences, mask, positions, cache));
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            Tensor next = ChooseTokens(logits, options, generator).where(finished.logical_not(), pad);
            responseMask.Add(finished.logical_not().to_type(ScalarType.Int64));
            if (options.EosTokenId is { } eos) finished = finished.logical_or(next.eq(eos));

            Tensor nextPosition = positions.narrow(1, positions.shape[1] - 1, 1) + 1;
            sequences = cat([sequences, next.unsqueeze(1)], 1);
            mask = cat([mask, ones(batch, 1, ScalarType.Int64, device)], 1);
            positions = cat([positions, nextPosition], 1);
            if (step == options.MaxNewTokens - 1 || finished.all().item<bool>()) break;

            logits = cached
                ? LastLogits(model.Forward(next.unsqueeze(1), mask, nextPosition, cache))
                : LastLogits(model.Forward(sequences, mask, positions));
        }

        Tensor response = stack(responseMask, 1);
        Tensor attentionMask = cat([promptMask, response], 1);
        return new GenerationResult(sequences, attentionMask, positions, response, (int)promptIds.shape[1]);
    }

    /// <summary>The logits of the last position, copied so the full <c>[B, T, V]</c> output is freed at once.</summary>
    private static Tensor LastLogits(CausalLMOutput output)
    {
        using (output)
        {
            Tensor logits = output.Logits;
            return logits.select(1, logits.shape[1] - 1).clone();
        }
    }

    private static void RequireLeftPadded(Tensor mask)
    {
        if (!mask.select(1, mask.shape[1] - 1).eq(1).all().item<bool>())
            throw new ArgumentException("Every prompt must end with a real token (left padding, at least one token per row).", "promptMask");
        if (mask.shape[1] > 1 && mask.narrow(1, 1, mask.shape[1] - 1).lt(mask.narrow(1, 0, mask.shape[1] - 1)).any().item<bool>())
            throw new ArgumentException("Prompts must be left-padded: in each mask row all zeros come before all ones.", "promptMask");
    }
}
