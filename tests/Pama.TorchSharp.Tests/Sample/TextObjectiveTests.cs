using Pama.FineTune.Rewards;
using Pama.FineTune.Text;
using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Sample;

public sealed class TextObjectiveTests
{
    [Fact]
    public void ResponseTextStopsBeforeTheEndOfTextToken()
    {
        // The trainer's decoded responses keep "<|endoftext|>"; the length reward must not count its 13 characters.
        var tokenizer = CompactVocabularyTokenizer.Build(Gpt2Tokenizer.CreateDefault(), ["Good film.", "Bad"]);
        int[] ids = [.. tokenizer.Encode("Good film."), tokenizer.EndOfTextId, .. tokenizer.Encode("Bad")];
        Assert.Equal("Good film.", TextObjective.ResponseText(tokenizer, ids));
        Assert.Equal("Good film.<|endoftext|>Bad", tokenizer.Decode(ids));
    }

    [Fact]
    public void ResponseTextWithoutEndOfTextIsTheWholeDecoding()
    {
        var tokenizer = CompactVocabularyTokenizer.Build(Gpt2Tokenizer.CreateDefault(), ["Good film."]);
        Assert.Equal("Good film.", TextObjective.ResponseText(tokenizer, tokenizer.Encode("Good film.")));
        Assert.Equal("", TextObjective.ResponseText(tokenizer, [tokenizer.EndOfTextId]));
    }
}
