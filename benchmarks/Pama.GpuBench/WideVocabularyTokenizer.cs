using Pama.TorchSharp.Models;

namespace Pama.GpuBench;

/// <summary>
/// For timing random-weight models whose vocabulary is larger than GPT-2's (Qwen2 151,936, Llama 3 128,256): prompts are
/// encoded with GPT-2's tokenizer (ids below 50,257 exist in both), and responses, which such a model samples from its
/// whole vocabulary, decode to their ids written out, so the trainer's text objectives can run. Only the token counts
/// matter for the measurement.
/// </summary>
internal sealed class WideVocabularyTokenizer(int vocabularySize) : ITextTokenizer
{
    private readonly Gpt2Tokenizer _gpt2 = Gpt2Tokenizer.CreateDefault();

    public int VocabularySize { get; } = vocabularySize;

    public int EndOfTextId => _gpt2.EndOfTextId;

    public IReadOnlyList<int> Encode(string text) => _gpt2.Encode(text);

    public string Decode(IEnumerable<int> ids) => string.Join(' ', ids);
}
