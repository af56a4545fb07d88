namespace Pama.TorchSharp.Generation;

/// <summary>How <see cref="TextGenerator"/> picks each new token.</summary>
/// <remarks>
/// Logits are divided by <see cref="Temperature"/>, then restricted to the <see cref="TopK"/> most likely
/// tokens and to the smallest set whose probability reaches <see cref="TopP"/> (nucleus sampling,
/// Holtzman et al., 2020), and a token is drawn from the softmax of what remains.
/// </remarks>
public sealed record SamplingOptions
{
    /// <summary>Most tokens to generate per sequence. Generation stops earlier when every sequence has produced <see cref="EosTokenId"/>.</summary>
    public int MaxNewTokens { get; init; } = 32;

    /// <summary>Softmax temperature; 0 means greedy decoding (the arg-max token, no randomness).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the <c>k</c> most likely tokens; 0 turns the filter off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set of most likely tokens whose total probability reaches this value; 1 turns the filter off.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Token that ends a sequence (kept in the response, with mask 1); <c>null</c> means sequences never end early.</summary>
    public int? EosTokenId { get; init; }

    /// <summary>Token written after a sequence has ended; <c>null</c> means <see cref="EosTokenId"/> (GPT-2 has no pad token).</summary>
    public int? PadTokenId { get; init; }

    /// <summary>Whether to reuse attention keys and values across steps when the model supports it.
    /// Off, every step re-runs the model on the whole sequence; both give the same tokens.</summary>
    public bool UseKeyValueCache { get; init; } = true;

    /// <summary>
    /// Most rows decoded together (default <c>null</c>: all of a call's rows at once). A larger batch is decoded in consecutive
    /// chunks of this many rows, each with its own key/value cache, drawing the same uniforms: the tokens are those of one
    /// batch (in float64 exactly; in lower precision up to the rounding of differently shaped matrix products).
    /// </summary>
    public int? BatchSize { get; init; }

    /// <summary>The token written after a sequence ends: <see cref="PadTokenId"/>, else <see cref="EosTokenId"/>, else 0
    /// (with no end token no sequence ends, so then it is never written).</summary>
    public int ResolvedPadTokenId => PadTokenId ?? EosTokenId ?? 0;

    /// <summary>Checks every value.</summary>
    /// <param name="vocabularySize">When given, token ids must lie below it.</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the option.</exception>
    public void Validate(int? vocabularySize = null)
    {
        if (MaxNewTokens < 1)
            throw new ArgumentException($"{nameof(MaxNewTokens)} must be at least 1, got {MaxNewTokens}.");
        if (!(Temperature >= 0) || !double.IsFinite(Temperature))
            throw new ArgumentException($"{nameof(Temperature)} must be a finite number >= 0, got {Temperature}.");
        if (TopK < 0)
            throw new ArgumentException($"{nameof(TopK)} must be >= 0 (0 = off), got {TopK}.");
        if (BatchSize is < 1)
            throw new ArgumentException($"{nameof(BatchSize)} must be at least 1 (or null for the whole batch), got {BatchSize}.");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentException($"{nameof(TopP)} must be in (0, 1] (1 = off), got {TopP}.");
        CheckToken(EosTokenId, nameof(EosTokenId));
        CheckToken(PadTokenId, nameof(PadTokenId));

        void CheckToken(int? id, string name)
        {
            if (id is not { } value) return;
            if (value < 0 || (vocabularySize is { } size && value >= size))
                throw new ArgumentException($"{name} {value} is outside the vocabulary [0, {vocabularySize?.ToString() ?? "∞"}).");
        }
    }
}
