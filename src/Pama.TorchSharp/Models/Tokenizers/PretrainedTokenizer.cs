using Microsoft.ML.Tokenizers;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The tokenizer of a Hugging Face checkpoint directory, built on Microsoft.ML.Tokenizers by
/// <see cref="AutoTokenizer.FromPretrained"/>: byte-level BPE (GPT-2, Llama 3, Qwen2), SentencePiece (Llama 2,
/// Mistral) or WordPiece (BERT, DistilBERT), with the special tokens, padding side and maximum length of
/// <c>tokenizer_config.json</c>.
/// </summary>
public sealed class PretrainedTokenizer : ITextTokenizer
{
    private readonly Func<string, IReadOnlyList<int>> _encode;
    private readonly Tokenizer _model;
    private readonly HashSet<int> _specialIds;
    private readonly Func<string, int?> _tokenToId;
    private readonly IReadOnlyList<TokenizerFile> _files;

    internal PretrainedTokenizer(Parts parts)
    {
        _encode = parts.Encode;
        _model = parts.Model;
        _tokenToId = parts.TokenToId;
        Format = parts.Format;
        VocabularySize = parts.VocabularySize;
        EndOfTextId = parts.EndOfTextId;
        BeginOfTextId = parts.BeginOfTextId;
        PaddingId = parts.PaddingId;
        PaddingSide = parts.PaddingSide;
        MaxLength = parts.MaxLength;
        PrefixIds = parts.PrefixIds;
        SuffixIds = parts.SuffixIds;
        _specialIds = [.. parts.SpecialIds];
        _files = parts.Files;
    }

    /// <summary>The tokenization algorithm.</summary>
    public TokenizerFormat Format { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <summary>Id of the end-of-sequence token (<c>eos_token</c>; <c>[SEP]</c> for WordPiece tokenizers without one).</summary>
    public int EndOfTextId { get; }

    /// <summary>Id of the beginning-of-sequence token (<c>bos_token</c>), if the tokenizer has one.</summary>
    public int? BeginOfTextId { get; }

    /// <summary>Id of the padding token (<c>pad_token</c>), if the tokenizer has one.</summary>
    public int? PaddingId { get; }

    /// <summary>Where padding goes in a batch (<c>padding_side</c>, right by default).</summary>
    public PaddingSide PaddingSide { get; }

    /// <summary>Longest input the tokenizer's model reads (<c>model_max_length</c>), or <c>null</c> where unlimited.</summary>
    public int? MaxLength { get; }

    /// <summary>Special token ids <see cref="EncodeWithSpecialTokens(string)"/> puts before the text (e.g. BOS, <c>[CLS]</c>).</summary>
    public IReadOnlyList<int> PrefixIds { get; }

    /// <summary>Special token ids <see cref="EncodeWithSpecialTokens(string)"/> puts after the text (e.g. <c>[SEP]</c>).</summary>
    public IReadOnlyList<int> SuffixIds { get; }

    /// <summary>Encodes text without adding special tokens (special tokens written in the text are recognised
    /// where the tokenizer declares them, as Hugging Face tokenizers do).</summary>
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _encode(text);
    }

    /// <summary>Encodes text and adds the special tokens the checkpoint's tokenizer adds by default
    /// (its post-processor, <c>add_bos_token</c> / <c>add_eos_token</c>, or <c>[CLS]</c> ... <c>[SEP]</c>).</summary>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text) => [.. PrefixIds, .. Encode(text), .. SuffixIds];

    /// <summary>
    /// Encodes text with special tokens, keeping at most <paramref name="maxLength"/> ids: the text is cut at the
    /// end (Hugging Face's default truncation side), the special tokens are kept.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> leaves no room beyond the special tokens.</exception>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text, int maxLength)
    {
        int room = maxLength - PrefixIds.Count - SuffixIds.Count;
        if (room < 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"maxLength {maxLength} leaves no room for text beside {PrefixIds.Count + SuffixIds.Count} special tokens.");
        IReadOnlyList<int> ids = Encode(text);
        return [.. PrefixIds, .. ids.Take(room), .. SuffixIds];
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public string Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: false);

    /// <summary>Decodes token ids back into text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens (BOS, EOS, padding, ...).</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int[] array = ids as int[] ?? ids.ToArray();
        for (int i = 0; i < array.Length; i++)
        {
            if (array[i] < 0 || array[i] >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {array[i]} at index {i} is outside [0, {VocabularySize}).");
        }
        if (skipSpecialTokens) array = array.Where(id => !_specialIds.Contains(id)).ToArray();
        return _model.Decode(array);
    }

    /// <summary>The id of a token spelled as in the vocabulary (e.g. <c>&lt;|endoftext|&gt;</c>), or <c>null</c>.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return _tokenToId(token);
    }

    /// <summary>
    /// Writes the files this tokenizer was read from, byte for byte (the vocabulary and merges or model file, and
    /// <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c> where the folder had them), so that
    /// <see cref="AutoTokenizer.FromPretrained"/> and <c>transformers</c>' <c>AutoTokenizer</c> reload the same tokenizer
    /// from <paramref name="directory"/> (created if needed; each file atomically).
    /// </summary>
    /// <param name="directory">Destination directory.</param>
    public void SavePretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        foreach (TokenizerFile file in _files)
            IO.AtomicFile.Write(Path.Combine(directory, file.Name), stream => stream.Write(file.Content));
    }

    /// <summary>One file of the tokenizer's folder: its name and content.</summary>
    internal sealed record TokenizerFile(string Name, byte[] Content);

    /// <summary>What <see cref="AutoTokenizer"/> assembles.</summary>
    internal sealed record Parts(
        TokenizerFormat Format,
        Tokenizer Model,
        Func<string, IReadOnlyList<int>> Encode,
        Func<string, int?> TokenToId,
        int VocabularySize,
        int EndOfTextId,
        int? BeginOfTextId,
        int? PaddingId,
        PaddingSide PaddingSide,
        int? MaxLength,
        IReadOnlyList<int> PrefixIds,
        IReadOnlyList<int> SuffixIds,
        IReadOnlyCollection<int> SpecialIds)
    {
        /// <summary>The files the tokenizer was read from, written back by <see cref="SavePretrained"/>.</summary>
        public IReadOnlyList<TokenizerFile> Files { get; init; } = [];
    }
}
