using System.Text.Json;
using Pama.TorchSharp.Models;

namespace Pama.FineTune.Text;

/// <summary>
/// GPT-2's byte-level BPE restricted to the tokens a corpus actually uses, renumbered
/// <c>0 .. K-1</c>. The embedded corpus needs a few hundred of GPT-2's 50257 tokens, so a tiny
/// policy's embedding and output layer shrink by two orders of magnitude while the text is split
/// exactly as GPT-2 splits it.
/// </summary>
/// <remarks>
/// Compact id <c>i</c> stands for base id <c>BaseIds[i]</c>; base ids are kept in ascending order and
/// the base tokenizer's end-of-text token is always included. Encoding text that needs a
/// base token outside the kept set throws (the message names the token and the text), rather than
/// silently mapping it to something else. The mapping is saved next to the model
/// (<see cref="Save"/>) so a cached checkpoint is always read back with the ids it was trained on.
/// </remarks>
public sealed class CompactVocabularyTokenizer : ITextTokenizer
{
    /// <summary>File name under which <see cref="Save"/> stores the mapping in a checkpoint directory.</summary>
    public const string FileName = "compact-vocabulary.json";

    private readonly ITextTokenizer _base;
    private readonly int[] _baseIds;
    private readonly Dictionary<int, int> _compactIds;

    /// <summary>Creates the tokenizer for an explicit set of base ids.</summary>
    /// <param name="baseTokenizer">The full tokenizer, e.g. <see cref="Gpt2Tokenizer.CreateDefault"/>.</param>
    /// <param name="baseIds">Base ids to keep; duplicates are ignored, the end-of-text id is added if missing.</param>
    /// <exception cref="ArgumentException">A base id is outside the base vocabulary.</exception>
    public CompactVocabularyTokenizer(ITextTokenizer baseTokenizer, IEnumerable<int> baseIds)
    {
        ArgumentNullException.ThrowIfNull(baseTokenizer);
        ArgumentNullException.ThrowIfNull(baseIds);
        _base = baseTokenizer;
        var kept = new SortedSet<int>(baseIds) { baseTokenizer.EndOfTextId };
        foreach (int id in kept)
        {
            if (id < 0 || id >= baseTokenizer.VocabularySize)
                throw new ArgumentException($"Base token id {id} is outside the base vocabulary [0, {baseTokenizer.VocabularySize}).", nameof(baseIds));
        }

        _baseIds = kept.ToArray();
        _compactIds = new Dictionary<int, int>(_baseIds.Length);
        for (int i = 0; i < _baseIds.Length; i++) _compactIds[_baseIds[i]] = i;
        EndOfTextId = _compactIds[baseTokenizer.EndOfTextId];
    }

    /// <inheritdoc />
    public int VocabularySize => _baseIds.Length;

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <summary>The base id each compact id stands for, in compact-id order.</summary>
    public IReadOnlyList<int> BaseIds => _baseIds;

    /// <summary>Keeps exactly the base tokens that encoding <paramref name="texts"/> uses (plus end-of-text).</summary>
    public static CompactVocabularyTokenizer Build(ITextTokenizer baseTokenizer, IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(baseTokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        var used = new HashSet<int>();
        foreach (string text in texts) used.UnionWith(baseTokenizer.Encode(text));
        return new CompactVocabularyTokenizer(baseTokenizer, used);
    }

    /// <summary>Reads a mapping written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">The file is malformed or was made for a base vocabulary of another size.</exception>
    public static CompactVocabularyTokenizer Load(ITextTokenizer baseTokenizer, string path)
    {
        ArgumentNullException.ThrowIfNull(baseTokenizer);
        SavedMapping? saved;
        try
        {
            saved = JsonSerializer.Deserialize<SavedMapping>(File.ReadAllText(path));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a compact vocabulary file ({e.Message}).", e);
        }

        if (saved?.BaseIds is null) throw new InvalidDataException($"{path}: the field 'BaseIds' is missing.");
        if (saved.BaseVocabularySize != baseTokenizer.VocabularySize)
        {
            throw new InvalidDataException($"{path}: made for a base vocabulary of {saved.BaseVocabularySize} tokens, but the base tokenizer has {baseTokenizer.VocabularySize}.");
        }

        try
        {
            return new CompactVocabularyTokenizer(baseTokenizer, saved.BaseIds);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Writes the mapping as JSON.</summary>
    public void Save(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(new SavedMapping(_base.VocabularySize, _baseIds)));

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The text needs a base token outside this vocabulary.</exception>
    public IReadOnlyList<int> Encode(string text)
    {
        IReadOnlyList<int> baseIds = _base.Encode(text);
        var ids = new int[baseIds.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!_compactIds.TryGetValue(baseIds[i], out ids[i]))
            {
                string piece = _base.Decode([baseIds[i]]);
                throw new ArgumentException($"The text \"{text}\" needs the token \"{piece}\" (GPT-2 id {baseIds[i]}), which is not in the compact vocabulary of {VocabularySize} tokens.", nameof(text));
            }
        }

        return ids;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, VocabularySize)</c>.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var baseIds = new List<int>();
        int index = 0;
        foreach (int id in ids)
        {
            if (id < 0 || id >= _baseIds.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} at index {index} is outside [0, {_baseIds.Length}).");
            baseIds.Add(_baseIds[id]);
            index++;
        }

        return _base.Decode(baseIds);
    }

    private sealed record SavedMapping(int BaseVocabularySize, int[] BaseIds);
}
