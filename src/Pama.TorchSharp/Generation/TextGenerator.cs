using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Generation;

/// <summary>
/// Batched autoregressive sampling from a causal language model, with or without a key/value cache.
/// </summary>
/// <remarks>
/// <para>Each step scores the next token of every sequence, applies <see cref="SamplingOptions"/>
/// (temperature, then top-k and top-p only when they are set) and draws one token per row by inverting the
/// cumulative distribution at one uniform per row, on the logits' device and in their own floating type (float32
/// for float16 and bfloat16); a temperature of 0 takes the arg-max. The uniforms, <c>[MaxNewTokens, B]</c>, are drawn
/// from the caller's CPU generator once per call, before the first step, and moved to the device in one transfer,
/// so the generator advances by the same amount whatever the model outputs and whether sequences end early; a seed
/// fixes the samples, every row at every step has its own draw, and the generator's state (which a trainer
/// checkpoints) is the whole of the randomness.</para>
/// <para>The loop does not wait for the device between tokens: ended sequences are tracked on the device, and
/// whether all have ended, and whether any logits were NaN, is read back once every
/// <see cref="CheckInterval"/> steps and after the last. The result is trimmed to the steps before every sequence
/// had ended, so it does not depend on when that was noticed.</para>
/// <para>What is reproducible where: the uniforms are bit-identical on every device (they come from the CPU
/// generator). Given the same logits, the tokens are too, except where a uniform falls within rounding of a boundary
/// of the cumulative distribution (the softmax and running-sum kernels of CPU and CUDA may round differently).
/// The logits themselves differ between CPU and CUDA by rounding (matrix-product kernels), so in float32 a CUDA run
/// follows the CPU run token for token until such a boundary case, after which the sequences may diverge; in
/// float64 this is vanishingly rare. Greedy decoding differs only at near-ties. Cached and uncached decoding give
/// the same tokens exactly in float64; in float32 their logits differ by rounding, with the same caveat.</para>
/// <para>Rows that produced the end token get the pad token afterwards and response mask 0. The model runs
/// in evaluation mode under <c>no_grad</c>; its previous mode is restored afterwards.</para>
/// </remarks>
public static class TextGenerator
{
    /// <summary>Steps between the read-backs that stop early when every sequence has ended and report NaN logits.</summary>
    public const int CheckInterval = 8;

    /// <summary>Samples continuations of a batch of left-padded prompts.</summary>
    /// <typeparam name="TModel">The model type.</typeparam>
    /// <param name="model">The model; its parameters' device is used for all tensors.</param>
    /// <param name="promptIds">Left-padded prompt ids, int64 <c>[B, P]</c> (see <see cref="PromptBatch.LeftPad"/>).</param>
    /// <param name="promptMask">Prompt mask <c>[B, P]</c>: zeros then ones in each row, at least one real token.</param>
    /// <param name="options">Sampling options.</param>
    /// <param name="generator">Source of randomness, owned by the caller: a CPU generator (TorchSharp 0.107 creates only
    /// those). <c>[MaxNewTokens, B]</c> uniforms are drawn from it per call, also when the temperature is 0.</param>
    /// <param name="slice">Where these rows sit in a batch sampled by several processes (data parallelism): the uniforms of the
    /// whole batch are drawn and this call's columns used. <c>null</c>: the rows are the whole batch.</param>
    /// <returns>Sequences, masks and position ids, on the model's device.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, a prompt row is empty or not left-padded, an option is invalid,
    /// the generator is not a CPU generator, the rows do not fit in <paramref name="slice"/>, or prompt plus
    /// <see cref="SamplingOptions.MaxNewTokens"/> exceeds the model's context length.</exception>
    /// <exception cref="InvalidOperationException">The model produced NaN logits; the message names the row and step.</exception>
    public static GenerationResult Generate<TModel>(TModel model, Tensor promptIds, Tensor promptMask, SamplingOptions options, Generator generator, BatchSlice? slice = null)
        where TModel : nn.Module, ICausalLanguageModel
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(promptIds);
        ArgumentNullException.ThrowIfNull(promptMask);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate(model.VocabularySize);
        RequireCpuGenerator(generator);
        if (promptIds.dim() != 2 || promptIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"promptIds must be int64 [B, P], got {promptIds.dtype} [{string.Join(", ", promptIds.shape)}].", nameof(promptIds));
        if (!promptMask.shape.SequenceEqual(promptIds.shape))
            throw new ArgumentException($"promptMask [{string.Join(", ", promptMask.shape)}] must have the shape of promptIds [{string.Join(", ", promptIds.shape)}].", nameof(promptMask));
        slice?.Validate(promptIds.shape[0]);
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
            global::TorchSharp.Modules.Parameter? first = model.parameters().FirstOrDefault();
            Device device = first?.device ?? CPU;
            Tensor mask = promptMask.to(device).Ne(0).to_type(ScalarType.Int64);
            RequireLeftPadded(mask);
            Tensor ids = promptIds.to(device);
            // All of this call's randomness, drawn up front: one uniform in (0, 1] per step and row.
            ScalarType computeType = InverseCdfSampler.ComputeType(first?.dtype ?? ScalarType.Float32);
            Tensor uniforms = slice is { } part
                ? DrawUniforms(generator, options.MaxNewTokens, part.TotalRows, computeType, device).narrow(1, part.Offset, promptIds.shape[0])
                : DrawUniforms(generator, options.MaxNewTokens, promptIds.shape[0], computeType, device);
            bool cached = options.UseKeyValueCache && model.SupportsKeyValueCache;
            IReadOnlyList<(long Start, long Count)> chunks = MicroBatches.Split(ids.shape[0], options.BatchSize);
            GenerationResult result = chunks.Count == 1
                ? Decode(model, ids, mask, options, uniforms, cached, rowOffset: 0)
                : Concatenate([.. chunks.Select(c => Decode(model, ids.narrow(0, c.Start, c.Count), mask.narrow(0, c.Start, c.Count), options,
                    uniforms.narrow(1, c.Start, c.Count), cached, c.Start))], options.ResolvedPadTokenId);
            foreach (Tensor t in new[] { result.Sequences, result.AttentionMask, result.PositionIds, result.ResponseMask, result.ResponseIds })
                t.MoveToOuterDisposeScope();
            return result;
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>Picks one token per row from next-token logits <c>[B, V]</c>, drawing <c>B</c> uniforms from <paramref name="generator"/>
    /// (exactly as one step of <see cref="Generate"/> does).</summary>
    /// <param name="logits">Next-token logits.</param>
    /// <param name="options">Temperature, top-k and top-p.</param>
    /// <param name="generator">CPU source of randomness (unused when the temperature is 0).</param>
    /// <returns>int64 token ids <c>[B]</c> on the logits' device.</returns>
    /// <exception cref="ArgumentException">The logits are not <c>[B, V]</c>, an option is invalid, or the generator is not a CPU generator.</exception>
    /// <exception cref="InvalidOperationException">A row of logits contains NaN; the message names the row.</exception>
    public static Tensor ChooseTokens(Tensor logits, SamplingOptions options, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(generator);
        options.Validate();
        RequireCpuGenerator(generator);
        if (logits.dim() != 2)
            throw new ArgumentException($"logits must be [B, V], got [{string.Join(", ", logits.shape)}].", nameof(logits));

        using var scope = NewDisposeScope();
        Tensor? uniforms = options.Temperature == 0
            ? null
            : DrawUniforms(generator, 1, logits.shape[0], InverseCdfSampler.ComputeType(logits.dtype), logits.device).squeeze(0);
        var (tokens, invalid) = InverseCdfSampler.Choose(logits, options, uniforms ?? empty(0));
        long[] report = HostReads.Longs(stack([invalid.any().to_type(ScalarType.Int64), invalid.to_type(ScalarType.Int64).argmax()]));
        if (report[0] != 0) throw new InvalidOperationException($"The model produced NaN logits for batch row {report[1]}.");
        return tokens.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The chunks' results as one batch: each chunk is trimmed to the steps its own rows took, so shorter ones are extended to
    /// the longest as one batch would have them (pad tokens, masks 0, positions still counting), then the rows are stacked.
    /// </summary>
    private static GenerationResult Concatenate(IReadOnlyList<GenerationResult> chunks, int padTokenId)
    {
        int steps = chunks.Max(c => c.ResponseLength), promptLength = chunks[0].PromptLength;
        var sequences = new List<Tensor>(chunks.Count);
        var attention = new List<Tensor>(chunks.Count);
        var positions = new List<Tensor>(chunks.Count);
        var responses = new List<Tensor>(chunks.Count);
        foreach (GenerationResult chunk in chunks)
        {
            int missing = steps - chunk.ResponseLength;
            long rows = chunk.Sequences.shape[0];
            Device device = chunk.Sequences.device;
            if (missing == 0)
            {
                sequences.Add(chunk.Sequences); attention.Add(chunk.AttentionMask); positions.Add(chunk.PositionIds); responses.Add(chunk.ResponseMask);
                continue;
            }
            Tensor none = zeros(rows, missing, ScalarType.Int64, device);
            Tensor last = chunk.PositionIds.narrow(1, chunk.PositionIds.shape[1] - 1, 1);
            sequences.Add(cat([chunk.Sequences, KeptScalars.Full([rows, missing], padTokenId, ScalarType.Int64, device)], 1));
            attention.Add(cat([chunk.AttentionMask, none], 1));
            positions.Add(cat([chunk.PositionIds, last.Plus(KeptScalars.Arange(1, missing + 1, ScalarType.Int64, device))], 1));
            responses.Add(cat([chunk.ResponseMask, none], 1));
        }
        return new GenerationResult(cat(sequences, 0), cat(attention, 0), cat(positions, 0), cat(responses, 0), promptLength);
    }

    private static GenerationResult Decode<TModel>(TModel model, Tensor promptIds, Tensor promptMask, SamplingOptions options,
        Tensor uniforms, bool cached, long rowOffset)
        where TModel : nn.Module, ICausalLanguageModel
    {
        long batch = promptIds.shape[0];
        int promptLength = (int)promptIds.shape[1], maxNew = options.MaxNewTokens;
        Device device = promptIds.device;
        using KeyValueCache? cache = cached ? model.CreateKeyValueCache() : null;
        cache?.Reserve(promptLength + maxNew);

        // Everything the loop writes is allocated once, for the most steps; the result is trimmed at the end.
        Tensor sequences = cat([promptIds, KeptScalars.Full([batch, maxNew], options.ResolvedPadTokenId, ScalarType.Int64, device)], 1);
        Tensor mask = cat([promptMask, ones(batch, maxNew, ScalarType.Int64, device)], 1);
        Tensor promptPositions = PromptBatch.PositionIds(promptMask);
        Tensor lastPosition = promptPositions.narrow(1, promptLength - 1, 1);
        Tensor positions = cat([promptPositions, lastPosition.Plus(KeptScalars.Arange(1, maxNew + 1, ScalarType.Int64, device))], 1);
        Tensor responseMask = zeros(batch, maxNew, ScalarType.Int64, device);
        Tensor finished = zeros(batch, ScalarType.Bool, device);
        Tensor invalidRows = zeros(batch, ScalarType.Bool, device);
        Tensor invalidStep = KeptScalars.Full([batch], -1L, ScalarType.Int64, device);
        Tensor pad = tensor(options.ResolvedPadTokenId, ScalarType.Int64, device);
        Tensor? eos = options.EosTokenId is { } eosId ? tensor(eosId, ScalarType.Int64, device) : null;

        int steps = maxNew;
        // Only the last position's logits are read: the output layer runs on that position alone (logitsToKeep: 1).
        Tensor logits = LastLogits(model.Forward(promptIds, promptMask, promptPositions, cache, logitsToKeep: 1));
        for (int step = 0; step < maxNew; step++)
        {
            using var stepScope = NewDisposeScope();
            var (sampled, invalid) = InverseCdfSampler.Choose(logits, options, uniforms.select(0, step));
            Tensor running = finished.logical_not();
            Tensor next = sampled.where(running, pad);
            responseMask.select(1, step).copy_(running);
            invalidStep.MaskedFillInPlace(invalid.logical_and(invalidRows.logical_not()), step);
            invalidRows.logical_or_(invalid);
            if (eos is not null) finished.logical_or_(next.eq(eos));
            int width = promptLength + step + 1;
            sequences.select(1, width - 1).copy_(next);

            bool last = step == maxNew - 1;
            if (last || (step + 1) % CheckInterval == 0)
            {
                // The one read-back every few steps: NaN seen, whether every sequence has ended, and the steps any sequence took.
                long[] state = HostReads.Longs(stack([invalidRows.any().to_type(ScalarType.Int64), finished.all().to_type(ScalarType.Int64),
                    responseMask.narrow(1, 0, step + 1).any(0).sum()]));
                if (state[0] != 0) ThrowInvalid(invalidRows, invalidStep, rowOffset);
                if (state[1] != 0 || last)
                {
                    steps = state[1] == 0 ? maxNew : (int)state[2];
                    break;
                }
            }

            logits.Dispose();
            logits = cached
                ? LastLogits(model.Forward(next.unsqueeze(1), mask.narrow(1, 0, width), positions.narrow(1, width - 1, 1), cache, logitsToKeep: 1))
                : LastLogits(model.Forward(sequences.narrow(1, 0, width), mask.narrow(1, 0, width), positions.narrow(1, 0, width), logitsToKeep: 1));
            logits.MoveToOuterDisposeScope();
        }

        // Trim to the steps taken before every sequence had ended (responseMask columns that are all zero).
        int total = promptLength + steps;
        Tensor response = responseMask.narrow(1, 0, steps).contiguous();
        Tensor attentionMask = cat([promptMask, response], 1);
        return new GenerationResult(sequences.narrow(1, 0, total).contiguous(), attentionMask,
            positions.narrow(1, 0, total).contiguous(), response, promptLength);
    }

    /// <summary><paramref name="steps"/> × <paramref name="rows"/> uniforms in (0, 1] from <paramref name="generator"/>, in one transfer to the device.</summary>
    private static Tensor DrawUniforms(Generator generator, int steps, long rows, ScalarType type, Device device)
    {
        using var scope = NewDisposeScope();
        // rand gives [0, 1); 1 − u lies in (0, 1], which the inverse-CDF rule needs (u = 0 could pick a token of probability 0).
        Tensor u = rand([steps, rows], ScalarType.Float64, generator: generator);
        return u.neg().Plus(1.0).to(type, device).MoveToOuterDisposeScope();
    }

    private static void ThrowInvalid(Tensor invalidRows, Tensor invalidStep, long rowOffset)
    {
        using var scope = NewDisposeScope();
        long row = HostReads.Long(invalidRows.to_type(ScalarType.Int64).argmax());
        long step = HostReads.Long(invalidStep[row]);
        throw new InvalidOperationException($"The model produced NaN logits for batch row {rowOffset + row} at generated step {step}.");
    }

    private static void RequireCpuGenerator(Generator generator)
    {
        if (generator.device.type != DeviceType.CPU)
            throw new ArgumentException($"Pass a CPU generator (uniforms are drawn on the CPU and moved to the model's device), not one on {generator.device}.", nameof(generator));
    }

    /// <summary>The logits of the last position. A view when there is one position; otherwise copied, so the full
    /// <c>[B, T, V]</c> output is freed at once.</summary>
    private static Tensor LastLogits(CausalLMOutput output)
    {
        output.LastHiddenState.Dispose();
        Tensor logits = output.Logits;
        if (logits.shape[1] == 1) return logits.squeeze(1);
        using (logits) return logits.select(1, logits.shape[1] - 1).clone();
    }

    private static void RequireLeftPadded(Tensor mask)
    {
        if (!HostReads.Bool(mask.select(1, mask.shape[1] - 1).Eq(1).all()))
            throw new ArgumentException("Every prompt must end with a real token (left padding, at least one token per row).", "promptMask");
        if (mask.shape[1] > 1 && HostReads.Bool(mask.narrow(1, 1, mask.shape[1] - 1).lt(mask.narrow(1, 0, mask.shape[1] - 1)).any()))
            throw new ArgumentException("Prompts must be left-padded: in each mask row all zeros come before all ones.", "promptMask");
    }
}
