namespace Pama.TorchSharp.Models;

/// <summary>The tokenization algorithm of a <see cref="PretrainedTokenizer"/>.</summary>
public enum TokenizerFormat
{
    /// <summary>Byte-level BPE (GPT-2, Llama 3, Qwen2): <c>tokenizer.json</c> or <c>vocab.json</c> + <c>merges.txt</c>.</summary>
    ByteLevelBpe,

    /// <summary>SentencePiece (Llama 2, Mistral): <c>tokenizer.model</c>.</summary>
    SentencePiece,

    /// <summary>WordPiece (BERT, DistilBERT): <c>vocab.txt</c> or a WordPiece <c>tokenizer.json</c>.</summary>
    WordPiece,
}

/// <summary>Which side of a batch row padding goes, as a tokenizer's <c>padding_side</c> says.</summary>
public enum PaddingSide
{
    /// <summary>Padding after the tokens (the Hugging Face default).</summary>
    Right,

    /// <summary>Padding before the tokens.</summary>
    Left,
}
