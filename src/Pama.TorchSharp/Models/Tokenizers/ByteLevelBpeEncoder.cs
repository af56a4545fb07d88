using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Byte-level BPE as Hugging Face <c>tokenizers</c> runs it: normalize, split off special tokens, split the rest
/// with the checkpoint's regex, spell each piece's bytes with <see cref="ByteLevelAlphabet"/>, then apply the
/// merges (Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>). With <c>ignore_merges</c> (Llama 3) a piece that
/// is itself in the vocabulary becomes that one token before any merge is tried, as tiktoken does; that step is
/// the glue Microsoft.ML.Tokenizers lacks.
/// </summary>
internal sealed class ByteLevelBpeEncoder
{
    /// <summary>GPT-2's split pattern (Hugging Face ByteLevel pre-tokenizer with <c>use_regex</c>).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Qwen2's split pattern (single digits).</summary>
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly BpeTokenizer _bpe;
    private readonly Regex _split;
    private readonly Regex? _specialSplit;
    private readonly IReadOnlyDictionary<string, int> _specials;
    private readonly IReadOnlyDictionary<string, int> _vocabulary;
    private readonly UnicodeNormalizer _normalizer;
    private readonly bool _ignoreMerges;

    public ByteLevelBpeEncoder(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, string pattern,
        IReadOnlyDictionary<string, int> addedTokens, UnicodeNormalizer normalizer, bool ignoreMerges)
    {
        _vocabulary = vocabulary;
        _specials = addedTokens;
        _normalizer = normalizer;
        _ignoreMerges = ignoreMerges;
        _split = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        // Added tokens are matched in the raw text before anything else, longest first.
        _specialSplit = addedTokens.Count == 0 ? null
            : new Regex(string.Join("|", addedTokens.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)), RegexOptions.CultureInvariant);
        _bpe = BpeTokenizer.Create(new BpeOptions(vocabulary)
        {
            Merges = merges,
            ByteLevel = true,
            // The pieces handed over are already split; a pattern matching the whole piece keeps them whole.
            PreTokenizer = new RegexPreTokenizer(new Regex(@"[\s\S]+", RegexOptions.CultureInvariant), null),
            SpecialTokens = addedTokens.Count == 0 ? null : addedTokens.ToDictionary(p => p.Key, p => p.Value),
        });
    }

    /// <summary>The Microsoft.ML.Tokenizers model, for decoding.</summary>
    public Tokenizer Model => _bpe;

    /// <summary>Token ids of <paramref name="text"/>, no special tokens added (those written in the text are kept).</summary>
    public List<int> Encode(string text)
    {
        var ids = new List<int>();
        int start = 0;
        if (_specialSplit is not null)
        {
            foreach (Match special in _specialSplit.Matches(text))
            {
                EncodeOrdinary(text[start..special.Index], ids);
                ids.Add(_specials[special.Value]);
                start = special.Index + special.Length;
            }
        }
        EncodeOrdinary(text[start..], ids);
        return ids;
    }

    private void EncodeOrdinary(string text, List<int> ids)
    {
        if (text.Length == 0) return;
        if (!_normalizer.IsIdentity) text = _normalizer.Normalize(text);
        // Hugging Face's Split(behavior: Isolated) keeps the text between matches as pieces too.
        int start = 0;
        foreach (Match piece in _split.Matches(text))
        {
            if (piece.Index > start) EncodePiece(text[start..piece.Index], ids);
            if (piece.Length > 0) EncodePiece(piece.Value, ids);
            start = piece.Index + piece.Length;
        }
        if (start < text.Length) EncodePiece(text[start..], ids);
    }

    private void EncodePiece(string piece, List<int> ids)
    {
        if (_ignoreMerges && _vocabulary.TryGetValue(ByteLevelAlphabet.Encode(piece), out int whole))
        {
            ids.Add(whole);
            return;
        }
        ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: true, considerNormalization: false));
    }
}
