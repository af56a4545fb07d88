using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Loads the tokenizer of a Hugging Face checkpoint directory, choosing the algorithm by the files present and
/// their content (never by <c>tokenizer_class</c> alone, which transformers 5 writes as <c>TokenizersBackend</c>):
/// <list type="number">
/// <item><c>tokenizer.json</c> with a byte-level BPE model (GPT-2, Llama 3, Qwen2) or a WordPiece model;</item>
/// <item><c>tokenizer.model</c>: SentencePiece (Llama 2, Mistral), also where <c>tokenizer.json</c> holds a
/// SentencePiece-style model;</item>
/// <item><c>vocab.txt</c>: WordPiece (BERT, DistilBERT);</item>
/// <item><c>vocab.json</c> + <c>merges.txt</c>: byte-level BPE with GPT-2's split pattern, or Qwen2's where
/// <c>tokenizer_class</c> names Qwen2.</item>
/// </list>
/// Special tokens (BOS, EOS, padding), padding side and maximum length come from <c>tokenizer_config.json</c>
/// (and <c>special_tokens_map.json</c>).
/// </summary>
public static class AutoTokenizer
{
    /// <summary>Hugging Face's tokenizer file.</summary>
    public const string TokenizerJsonFileName = "tokenizer.json";

    /// <summary>SentencePiece's model file.</summary>
    public const string SentencePieceFileName = "tokenizer.model";

    /// <summary>Loads the tokenizer of <paramref name="directory"/>.</summary>
    /// <param name="directory">Checkpoint directory, or a repository id the Hugging Face cache holds (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">No tokenizer file is present.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or describes something not supported; the message
    /// names the file and the key.</exception>
    public static PretrainedTokenizer FromPretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Build(HuggingFaceCache.Resolve(directory, "Tokenizer"));
    }

    /// <summary>The files a tokenizer folder may hold that this class reads, in Hugging Face's names.</summary>
    private static readonly string[] TokenizerFileNames =
        [TokenizerJsonFileName, SentencePieceFileName, "vocab.txt", "vocab.json", "merges.txt", TokenizerConfigFile.FileName, TokenizerConfigFile.SpecialTokensMapFileName];

    private static PretrainedTokenizer Build(string directory)
    {
        PretrainedTokenizer.Parts parts = Parts(directory);
        // Kept in memory, so the folder may go away before SavePretrained writes them back.
        var files = TokenizerFileNames.Select(name => Path.Combine(directory, name)).Where(File.Exists)
            .Select(path => new PretrainedTokenizer.TokenizerFile(Path.GetFileName(path), IO.InputFile.ReadAllBytes(path, IO.InputFile.MaxTokenizerBytes, "tokenizer file")))
            .ToList();
        return new PretrainedTokenizer(parts with { Files = files });
    }

    private static PretrainedTokenizer.Parts Parts(string directory)
    {
        var config = TokenizerConfigFile.Load(directory);
        string tokenizerJson = Path.Combine(directory, TokenizerJsonFileName);
        string sentencePiece = Path.Combine(directory, SentencePieceFileName);
        string vocabTxt = Path.Combine(directory, "vocab.txt");
        string vocabJson = Path.Combine(directory, "vocab.json");
        string merges = Path.Combine(directory, "merges.txt");

        if (File.Exists(tokenizerJson))
        {
            JsonObject root = ReadJson(tokenizerJson);
            JsonObject model = root["model"] as JsonObject ?? throw new InvalidDataException($"{tokenizerJson}: 'model' is missing.");
            string? type = Str(model, "type", tokenizerJson) ?? (model["merges"] is not null ? "BPE" : null);
            if (type == "BPE" && IsByteLevel(root)) return ByteLevelFromTokenizerJson(tokenizerJson, root, model, config);
            if (type == "WordPiece") return WordPiece(File.Exists(vocabTxt) ? ReadText(vocabTxt) : VocabularyText(tokenizerJson, model), config, tokenizerJson);
            if (File.Exists(sentencePiece)) return SentencePiece(sentencePiece, config);
            throw new InvalidDataException(
                $"{tokenizerJson}: model.type '{type}' without a byte-level pre-tokenizer is not supported, and there is no {SentencePieceFileName}; " +
                "supported are byte-level BPE, WordPiece, and SentencePiece through tokenizer.model.");
        }
        if (File.Exists(sentencePiece)) return SentencePiece(sentencePiece, config);
        if (File.Exists(vocabTxt)) return WordPiece(ReadText(vocabTxt), config, vocabTxt);
        if (File.Exists(vocabJson) && File.Exists(merges)) return ByteLevelFromVocabAndMerges(vocabJson, merges, config);
        throw new FileNotFoundException(
            $"Tokenizer directory '{directory}' has none of {TokenizerJsonFileName}, {SentencePieceFileName}, vocab.txt, or vocab.json with merges.txt.",
            tokenizerJson);
    }

    // ---- byte-level BPE ---------------------------------------------------------------------------------------

    private static PretrainedTokenizer.Parts ByteLevelFromTokenizerJson(string path, JsonObject root, JsonObject model, TokenizerConfigFile config)
    {
        if (Bool(model, "byte_fallback", path) == true)
            throw new InvalidDataException($"{path}: model.byte_fallback = true is not supported with a byte-level pre-tokenizer.");
        if (Str(model, "continuing_subword_prefix", path) is { Length: > 0 } || Str(model, "end_of_word_suffix", path) is { Length: > 0 })
            throw new InvalidDataException($"{path}: model.continuing_subword_prefix / end_of_word_suffix are not supported for byte-level BPE.");
        Dictionary<string, int> vocabulary = Vocabulary(model["vocab"], path, "model.vocab");
        List<string> merges = Merges(model["merges"], path);
        (string pattern, bool addPrefixSpace) = SplitPattern(root["pre_tokenizer"], path);
        (NormalizationForm? form, bool lowercase) = Normalizer(root["normalizer"], path);

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        if (root["added_tokens"] is JsonArray tokens)
        {
            foreach (JsonNode? token in tokens)
            {
                if (token is not JsonObject t || Str(t, "content", path) is not { } content || t["id"] is not JsonValue idValue || !idValue.TryGetValue(out int id))
                    throw new InvalidDataException($"{path}: every entry of 'added_tokens' needs 'id' and 'content'.");
                if (id is < 0 or int.MaxValue) throw new InvalidDataException($"{path}: added token '{content}' has id {id}, outside [0, {int.MaxValue}).");
                added[content] = id;
                if (Bool(t, "special", path) == true) special.Add(id);
            }
        }
        ByteLevelBpeEncoder encoder = Encoder(path, () => new ByteLevelBpeEncoder(vocabulary, merges, pattern, added,
            new UnicodeNormalizer(form, lowercase, addPrefixSpace), Bool(model, "ignore_merges", path) ?? false));
        int? TokenToId(string token) => added.TryGetValue(token, out int a) ? a : vocabulary.TryGetValue(token, out int v) ? v : null;
        (List<int> prefix, List<int> suffix) = PostProcessor(root["post_processor"], path, TokenToId);
        return ByteLevel(encoder, vocabulary, added, special, TokenToId, prefix, suffix, config, path);
    }

    private static PretrainedTokenizer.Parts ByteLevelFromVocabAndMerges(string vocabPath, string mergesPath, TokenizerConfigFile config)
    {
        Dictionary<string, int> vocabulary = Vocabulary(ReadJson(vocabPath), vocabPath, "the top level");
        var merges = new List<string>();
        // Read whole and strictly (size limit, valid UTF-8) like every other tokenizer file; a byte-order mark is allowed.
        foreach (string rawLine in ReadText(mergesPath).TrimStart('\uFEFF').Split('\n'))
        {
            string line = rawLine.TrimEnd('\r');
            if (line.StartsWith("#version", StringComparison.Ordinal) || line.Length == 0) continue;
            if (line.Split(' ').Length != 2) throw new InvalidDataException($"{mergesPath}: line '{line}' is not a merge of two tokens.");
            merges.Add(line);
        }
        // Qwen2Tokenizer normalizes to NFC and splits single digits; GPT-2's tokenizer does neither.
        bool qwen2 = config.TokenizerClass?.Contains("Qwen2", StringComparison.OrdinalIgnoreCase) == true;
        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        var special = new HashSet<int>();
        foreach ((int id, string content, bool isSpecial) in config.AddedTokens())
        {
            added[content] = id;
            if (isSpecial) special.Add(id);
        }
        // The special tokens the config names are matched whole in text, as transformers does.
        foreach (string key in new[] { "bos_token", "eos_token", "pad_token", "unk_token" })
        {
            if (config.SpecialToken(key) is { } token && !added.ContainsKey(token) && vocabulary.TryGetValue(token, out int id))
            {
                added[token] = id;
                special.Add(id);
            }
        }
        if (config.SpecialToken("eos_token") is null && vocabulary.TryGetValue(Gpt2Tokenizer.EndOfTextToken, out int endOfText))
        {
            added[Gpt2Tokenizer.EndOfTextToken] = endOfText;
            special.Add(endOfText);
        }
        ByteLevelBpeEncoder encoder = Encoder($"{vocabPath} and {mergesPath}", () => new ByteLevelBpeEncoder(vocabulary, merges,
            qwen2 ? ByteLevelBpeEncoder.Qwen2Pattern : ByteLevelBpeEncoder.Gpt2Pattern, added,
            new UnicodeNormalizer(qwen2 ? NormalizationForm.FormC : null, lowercase: false, config.Flag("add_prefix_space", false)), ignoreMerges: false));
        int? TokenToId(string token) => added.TryGetValue(token, out int a) ? a : vocabulary.TryGetValue(token, out int v) ? v : null;
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (config.Flag("add_bos_token", false)) prefix.Add(RequiredId(config, "bos_token", TokenToId));
        if (config.Flag("add_eos_token", false)) suffix.Add(RequiredId(config, "eos_token", TokenToId));
        return ByteLevel(encoder, vocabulary, added, special, TokenToId, prefix, suffix, config, vocabPath);
    }

    /// <summary>
    /// Builds the encoder, turning Microsoft.ML.Tokenizers' own errors about malformed files ("Invalid merger file format", a merge
    /// of tokens not in the vocabulary, two tokens with one id, a split pattern that is no regex) into errors naming the files.
    /// </summary>
    private static ByteLevelBpeEncoder Encoder(string files, Func<ByteLevelBpeEncoder> build)
    {
        try
        {
            return build();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException or IndexOutOfRangeException)
        {
            throw new InvalidDataException($"{files}: not a byte-level BPE tokenizer Microsoft.ML.Tokenizers can build ({e.Message}).", e);
        }
    }

    private static PretrainedTokenizer.Parts ByteLevel(ByteLevelBpeEncoder encoder, Dictionary<string, int> vocabulary, Dictionary<string, int> added,
        HashSet<int> special, Func<string, int?> tokenToId, List<int> prefix, List<int> suffix, TokenizerConfigFile config, string source)
    {
        int? bos = OptionalId(config, "bos_token", tokenToId);
        int? eos = OptionalId(config, "eos_token", tokenToId) ?? tokenToId(Gpt2Tokenizer.EndOfTextToken);
        int? pad = OptionalId(config, "pad_token", tokenToId);
        foreach (int? id in new[] { bos, eos, pad }) if (id is { } i) special.Add(i);
        int size = Math.Max(vocabulary.Values.DefaultIfEmpty(-1).Max(), added.Values.DefaultIfEmpty(-1).Max()) + 1;
        return new PretrainedTokenizer.Parts(
            TokenizerFormat.ByteLevelBpe, encoder.Model, encoder.Encode, tokenToId, size,
            eos ?? throw new InvalidDataException($"{config.Path}: 'eos_token' is missing and {source} has no {Gpt2Tokenizer.EndOfTextToken}; the end-of-text token is needed."),
            bos, pad, config.PaddingSide, config.MaxLength, prefix, suffix, special);
    }

    /// <summary>The split pattern and prefix-space switch of a byte-level <c>pre_tokenizer</c>.</summary>
    private static (string Pattern, bool AddPrefixSpace) SplitPattern(JsonNode? node, string path)
    {
        var steps = node is JsonObject o && Str(o, "type", path) == "Sequence"
            ? (o["pretokenizers"] as JsonArray ?? throw new InvalidDataException($"{path}: pre_tokenizer.pretokenizers must be a list.")).ToList()
            : [node];
        string? pattern = null;
        bool addPrefixSpace = false, byteLevel = false;
        foreach (JsonNode? step in steps)
        {
            if (step is not JsonObject s) throw new InvalidDataException($"{path}: pre_tokenizer steps must be objects.");
            switch (Str(s, "type", path))
            {
                case "Split" when pattern is null && !byteLevel:
                    if (Bool(s, "invert", path) == true || Str(s, "behavior", path) is not ("Isolated" or null))
                        throw new InvalidDataException($"{path}: pre_tokenizer Split with behavior '{Str(s, "behavior", path)}' or invert = true is not supported (only Isolated).");
                    pattern = s["pattern"] is JsonObject p
                        ? Str(p, "Regex", path) ?? (Str(p, "String", path) is { } literal ? Regex.Escape(literal) : null)
                        : null;
                    if (pattern is null) throw new InvalidDataException($"{path}: pre_tokenizer Split needs pattern.Regex or pattern.String.");
                    break;
                case "ByteLevel" when !byteLevel:
                    byteLevel = true;
                    addPrefixSpace = Bool(s, "add_prefix_space", path) ?? false;
                    if (Bool(s, "use_regex", path) ?? true)
                    {
                        if (pattern is not null)
                            throw new InvalidDataException($"{path}: a Split followed by ByteLevel with use_regex = true is not supported.");
                        pattern = ByteLevelBpeEncoder.Gpt2Pattern;
                    }
                    break;
                default:
                    throw new InvalidDataException(
                        $"{path}: pre_tokenizer step '{Str(s, "type", path)}' is not supported here; byte-level BPE reads ByteLevel, optionally after one Split.");
            }
        }
        // ByteLevel without use_regex and no Split hands the whole text to BPE.
        return (pattern ?? @"[\s\S]+", addPrefixSpace);
    }

    private static (NormalizationForm? Form, bool Lowercase) Normalizer(JsonNode? node, string path)
    {
        NormalizationForm? form = null;
        bool lowercase = false;
        void Read(JsonNode? n)
        {
            if (n is null) return;
            if (n is not JsonObject o) throw new InvalidDataException($"{path}: normalizer must be an object.");
            switch (Str(o, "type", path))
            {
                case "Sequence":
                    foreach (JsonNode? inner in o["normalizers"] as JsonArray ?? []) Read(inner);
                    break;
                case "NFC": form = NormalizationForm.FormC; break;
                case "NFD": form = NormalizationForm.FormD; break;
                case "NFKC": form = NormalizationForm.FormKC; break;
                case "NFKD": form = NormalizationForm.FormKD; break;
                case "Lowercase": lowercase = true; break;
                case var other:
                    throw new InvalidDataException($"{path}: normalizer '{other}' is not supported for byte-level BPE (NFC, NFD, NFKC, NFKD, Lowercase are).");
            }
        }
        Read(node);
        return (form, lowercase);
    }

    /// <summary>The special tokens a <c>post_processor</c> adds around a single sequence.</summary>
    private static (List<int> Prefix, List<int> Suffix) PostProcessor(JsonNode? node, string path, Func<string, int?> tokenToId)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        void Read(JsonNode? n)
        {
            if (n is null) return;
            if (n is not JsonObject o) throw new InvalidDataException($"{path}: post_processor must be an object.");
            switch (Str(o, "type", path))
            {
                case "Sequence":
                    foreach (JsonNode? inner in o["processors"] as JsonArray ?? []) Read(inner);
                    break;
                case "ByteLevel":
                    break;
                case "TemplateProcessing":
                    bool seenSequence = false;
                    foreach (JsonNode? piece in o["single"] as JsonArray ?? throw new InvalidDataException($"{path}: post_processor.single is missing."))
                    {
                        if (piece is JsonObject p && p["Sequence"] is not null) { seenSequence = true; continue; }
                        string id = (piece as JsonObject)?["SpecialToken"] is JsonObject st ? Str(st, "id", path) ?? "" : "";
                        IEnumerable<int> ids = o["special_tokens"] is JsonObject specials && specials[id] is JsonObject special && special["ids"] is JsonArray list
                            ? [.. list.Select(x => x is JsonValue v && v.TryGetValue(out int i) ? i
                                : throw new InvalidDataException($"{path}: post_processor.special_tokens['{id}'].ids must be a list of ids."))]
                            : [tokenToId(id) ?? throw new InvalidDataException($"{path}: post_processor names special token '{id}', which is not in the vocabulary.")];
                        (seenSequence ? suffix : prefix).AddRange(ids);
                    }
                    break;
                case "BertProcessing" or "RobertaProcessing":
                    prefix.Add(PairId(o, "cls", path));
                    suffix.Add(PairId(o, "sep", path));
                    break;
                case var other:
                    throw new InvalidDataException($"{path}: post_processor '{other}' is not supported (TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing and Sequence are).");
            }
        }
        Read(node);
        return (prefix, suffix);
    }

    private static int PairId(JsonObject processor, string key, string path) =>
        processor[key] is JsonArray { Count: 2 } pair && pair[1] is JsonValue v && v.TryGetValue(out int id)
            ? id : throw new InvalidDataException($"{path}: post_processor.{key} must be [token, id].");

    private static bool IsByteLevel(JsonObject root)
    {
        static bool Has(JsonNode? node, string listKey) => node is JsonObject o &&
            ((o["type"] is JsonValue type && type.TryGetValue(out string? name) && name == "ByteLevel") || (o[listKey] is JsonArray list && list.Any(n => Has(n, listKey))));
        return Has(root["pre_tokenizer"], "pretokenizers") || Has(root["decoder"], "decoders");
    }

    private static List<string> Merges(JsonNode? node, string path)
    {
        if (node is not JsonArray list) throw new InvalidDataException($"{path}: model.merges must be a list.");
        var merges = new List<string>(list.Count);
        foreach (JsonNode? merge in list)
        {
            // tokenizers writes "a b" (older files) or ["a", "b"] (newer files).
            merges.Add(merge switch
            {
                JsonValue v when v.TryGetValue(out string? s) && s.Split(' ').Length == 2 => s,
                JsonArray { Count: 2 } pair when pair[0] is JsonValue a && a.TryGetValue(out string? left) && pair[1] is JsonValue b && b.TryGetValue(out string? right)
                    => $"{left} {right}",
                _ => throw new InvalidDataException($"{path}: model.merges entry {merge?.ToJsonString()} is not a pair of tokens."),
            });
        }
        return merges;
    }

    // ---- SentencePiece ----------------------------------------------------------------------------------------

    private static PretrainedTokenizer.Parts SentencePiece(string path, TokenizerConfigFile config)
    {
        SentencePieceTokenizer model;
        try
        {
            using var stream = new MemoryStream(IO.InputFile.ReadAllBytes(path, IO.InputFile.MaxTokenizerBytes, "tokenizer file"), writable: false);
            model = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not (InvalidDataException or FileNotFoundException or OutOfMemoryException))
        {
            // A damaged model file surfaces as whichever exception the protobuf parser meets first; all mean a bad file.
            throw new InvalidDataException($"{path}: not a SentencePiece model Microsoft.ML.Tokenizers can read ({e.Message}).", e);
        }
        IReadOnlyDictionary<string, int> vocabulary = model.Vocabulary;
        if (vocabulary.Count == 0) throw new InvalidDataException($"{path}: the SentencePiece model has no pieces.");
        int? TokenToId(string token) => vocabulary.TryGetValue(token, out int id) ? id : null;
        int bos = OptionalId(config, "bos_token", TokenToId) ?? model.BeginningOfSentenceId;
        int eos = OptionalId(config, "eos_token", TokenToId) ?? model.EndOfSentenceId;
        int? pad = OptionalId(config, "pad_token", TokenToId);
        // LlamaTokenizer's defaults: BOS added, EOS not.
        List<int> prefix = config.Flag("add_bos_token", true) ? [bos] : [];
        List<int> suffix = config.Flag("add_eos_token", false) ? [eos] : [];
        var special = new HashSet<int> { bos, eos, model.UnknownId };
        if (pad is { } p) special.Add(p);
        int size = vocabulary.Values.Max() + 1;
        return new PretrainedTokenizer.Parts(
            TokenizerFormat.SentencePiece, model,
            text => model.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false), TokenToId,
            size, eos, bos, pad, config.PaddingSide, config.MaxLength, prefix, suffix, special);
    }

    // ---- WordPiece --------------------------------------------------------------------------------------------

    private static PretrainedTokenizer.Parts WordPiece(string vocabularyText, TokenizerConfigFile config, string source)
    {
        string cls = config.SpecialToken("cls_token") ?? "[CLS]";
        string sep = config.SpecialToken("sep_token") ?? "[SEP]";
        string pad = config.SpecialToken("pad_token") ?? "[PAD]";
        string mask = config.SpecialToken("mask_token") ?? "[MASK]";
        string unk = config.SpecialToken("unk_token") ?? "[UNK]";
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int next = 0;
        foreach (string line in vocabularyText.Split('\n'))
        {
            string token = line.TrimEnd('\r');
            if (token.Length == 0 && next > 0 && line.Length == 0) { next++; continue; }
            ids.TryAdd(token, next++);
        }
        bool lowercase = config.Flag("do_lower_case", true);
        var specials = new[] { cls, sep, pad, mask, unk }.Where(ids.ContainsKey).Distinct().ToDictionary(t => t, t => ids[t]);
        BertTokenizer model;
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(vocabularyText));
            model = BertTokenizer.Create(stream, new BertOptions
            {
                LowerCaseBeforeTokenization = lowercase,
                ApplyBasicTokenization = true,
                IndividuallyTokenizeCjk = config.Flag("tokenize_chinese_chars", true),
                // transformers strips accents where strip_accents is unset and the text is lowercased.
                RemoveNonSpacingMarks = config.Flag("strip_accents", lowercase),
                ClassificationToken = cls,
                SeparatorToken = sep,
                PaddingToken = pad,
                MaskingToken = mask,
                UnknownToken = unk,
                PreTokenizer = new RegexPreTokenizer(BertWordSplit, specials),
            });
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: could not build a WordPiece tokenizer ({e.Message}).", e);
        }
        int? TokenToId(string token) => ids.TryGetValue(token, out int id) ? id : null;
        var special = new HashSet<int> { model.ClassificationTokenId, model.SeparatorTokenId, model.PaddingTokenId, model.MaskingTokenId };
        if (TokenToId(unk) is { } unknown) special.Add(unknown);
        return new PretrainedTokenizer.Parts(
            TokenizerFormat.WordPiece, model,
            // Microsoft.ML.Tokenizers' BERT normalizer deletes tabs and line breaks, which BERT's clean_text turns
            // into spaces (so "a\tb" is two words); turning them into spaces first is the glue.
            text => model.EncodeToIds(text.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '), addSpecialTokens: false), TokenToId,
            ids.Values.Max() + 1, model.SeparatorTokenId, BeginOfTextId: null, model.PaddingTokenId, config.PaddingSide, config.MaxLength,
            [model.ClassificationTokenId], [model.SeparatorTokenId], special);
    }

    /// <summary>
    /// Hugging Face BasicTokenizer's split after normalization: runs of characters that are neither whitespace nor
    /// punctuation, and single punctuation characters, where punctuation is Unicode category P or any ASCII
    /// non-alphanumeric symbol; control characters separate words as clean_text makes them. Microsoft.ML.Tokenizers' own BERT split drops symbols such as emoji, which BERT keeps
    /// (as a word or [UNK]); this pattern is the glue that keeps them.
    /// </summary>
    private static readonly Regex BertWordSplit = new(@"[^\s\p{Cc}\p{Cf}\p{P}!-/:-@\[-`{-~]+|[\p{P}!-/:-@\[-`{-~]", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>A WordPiece vocabulary from <c>tokenizer.json</c> as <c>vocab.txt</c> text (one token per id).</summary>
    private static string VocabularyText(string path, JsonObject model)
    {
        Dictionary<string, int> vocabulary = Vocabulary(model["vocab"], path, "model.vocab");
        // Checked before allocating: ids 0 … Count − 1, each once, is the only layout vocab.txt can express.
        if (vocabulary.Count == 0 || vocabulary.Values.Max() != vocabulary.Count - 1 || vocabulary.Values.Distinct().Count() != vocabulary.Count)
            throw new InvalidDataException($"{path}: model.vocab ids are not contiguous (0 to the vocabulary size − 1, each once).");
        var tokens = new string[vocabulary.Count];
        foreach ((string token, int id) in vocabulary) tokens[id] = token;
        if (tokens.Any(t => t is null)) throw new InvalidDataException($"{path}: model.vocab ids are not contiguous.");
        return string.Join("\n", tokens);
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    private static int? OptionalId(TokenizerConfigFile config, string key, Func<string, int?> tokenToId) =>
        config.SpecialToken(key) is { } token
            ? tokenToId(token) ?? throw new InvalidDataException($"{config.Path}: '{key}' is '{token}', which is not in the vocabulary.")
            : null;

    private static int RequiredId(TokenizerConfigFile config, string key, Func<string, int?> tokenToId) =>
        OptionalId(config, key, tokenToId) ?? throw new InvalidDataException($"{config.Path}: '{key}' is needed (add_{key} is set) but missing.");

    private static Dictionary<string, int> Vocabulary(JsonNode? node, string path, string key)
    {
        if (node is not JsonObject map) throw new InvalidDataException($"{path}: {key} must map tokens to ids.");
        var vocabulary = new Dictionary<string, int>(map.Count, StringComparer.Ordinal);
        foreach ((string token, JsonNode? id) in map)
        {
            // Below int.MaxValue so that the vocabulary size, the largest id + 1, is an int too.
            if (id is not JsonValue v || !v.TryGetValue(out int value) || value is < 0 or int.MaxValue)
                throw new InvalidDataException($"{path}: {key}['{token}'] must be an id in [0, {int.MaxValue}).");
            vocabulary[token] = value;
        }
        return vocabulary;
    }

    private static string ReadText(string path)
    {
        byte[] bytes = IO.InputFile.ReadAllBytes(path, IO.InputFile.MaxTokenizerBytes, "tokenizer file");
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not valid UTF-8 text.", e);
        }
    }

    private static JsonObject ReadJson(string path) => IO.InputFile.ReadJsonObject(path, IO.InputFile.MaxTokenizerBytes, "tokenizer file");

    private static string? Str(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        var other => throw new InvalidDataException($"{path}: '{key}' must be a string, got {other.ToJsonString()}."),
    };

    private static bool? Bool(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out bool b) => b,
        var other => throw new InvalidDataException($"{path}: '{key}' must be true or false, got {other.ToJsonString()}."),
    };
}
