using Xunit;
using Pama.TorchSharp.Models;

namespace Pama.TorchSharp.Tests.Models;

public sealed class Gpt2TokenizerTests
{
    [Fact]
    public void DefaultTokenizerGivesKnownGpt2Ids()
    {
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.CreateDefault();
        // Ids from the published GPT-2 vocabulary: "Hello" = 15496, " world" = 995, "<|endoftext|>" = 50256.
        Assert.Equal(new[] { 15496, 995 }, tokenizer.Encode("Hello world"));
        Assert.Equal(50256, tokenizer.EndOfTextId);
        Assert.Equal(50257, tokenizer.VocabularySize);
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("  leading spaces, punctuation!? and numbers 12345\nnew line")]
    [InlineData("Ünïcödé — emoji 🙂 and 日本語")]
    public void DecodeInvertsEncode(string text)
    {
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.CreateDefault();
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }
}
