using System.Text;
using Microsoft.ML.Tokenizers;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The normalizers of Hugging Face <c>tokenizer.json</c> files that byte-level BPE checkpoints use: Unicode
/// normalization forms (Qwen2 uses NFC), lowercasing, and the ByteLevel pre-tokenizer's prefix space.
/// </summary>
internal sealed class UnicodeNormalizer(NormalizationForm? form, bool lowercase, bool addPrefixSpace) : Normalizer
{
    /// <summary>Whether it changes any text at all.</summary>
    public bool IsIdentity => form is null && !lowercase && !addPrefixSpace;

    public override string Normalize(string original)
    {
        string text = form is { } f ? original.Normalize(f) : original;
        if (lowercase) text = text.ToLowerInvariant();
        // Hugging Face's ByteLevel(add_prefix_space) adds one space unless the text already starts with one.
        if (addPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        return text;
    }

    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}
