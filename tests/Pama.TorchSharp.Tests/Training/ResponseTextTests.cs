using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Text rewards see the response's words, not the marker of the end-of-text token that ended it.</summary>
public sealed class ResponseTextTests
{
    private const string Marker = "<|endoftext|>";

    [Fact]
    public void ResponseTextsStopBeforeTheEndToken()
    {
        var tokenizer = new MarkerTokenizer();
        var recorder = new RecordingObjective();
        int end = tokenizer.EndOfTextId;
        var options = TinyModels.Options() with { Generation = new SamplingOptions { MaxNewTokens = 12 } };
        string[] prompts = ["hello there", "a short one", "what is it?", "zz", "the end.", "one more", "go on", "and so"];
        using var trainer = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), tokenizer, [recorder, recorder.Twin()], options);

        trainer.Step(prompts);

        RewardBatch batch = recorder.Batch ?? throw new InvalidOperationException("The objective was not scored.");
        int ended = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            IReadOnlyList<int> ids = batch.ResponseTokenIds[b];
            bool endsWithEnd = ids.Count > 0 && ids[^1] == end;
            ended += endsWithEnd ? 1 : 0;
            // Expected text built independently: the characters of every token before the end token.
            string expected = string.Concat(ids.Take(endsWithEnd ? ids.Count - 1 : ids.Count).Select(id => CharacterTokenizer.Alphabet[id]));
            Assert.Equal(expected, batch.Responses[b]);
            Assert.DoesNotContain(Marker, batch.Responses[b]);
        }
        Assert.True(ended > 0, "some sampled response should have ended with the end token");
    }

    [Fact]
    public void DecodeStopsBeforeTheFirstEndOfTextToken()
    {
        // A plain decode keeps the end-of-text marker (13 characters for GPT-2), which would count towards a length
        // reward; ResponseText.Decode, which the trainer and the sample's held-out evaluation use, stops before it.
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        int[] ids = [.. tokenizer.Encode("Good film."), tokenizer.EndOfTextId, .. tokenizer.Encode("Bad")];
        Assert.Equal("Good film.", ResponseText.Decode(tokenizer, ids));
        Assert.Equal("Good film.<|endoftext|>Bad", tokenizer.Decode(ids));
    }

    [Fact]
    public void DecodeWithoutEndOfTextIsTheWholeDecoding()
    {
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        Assert.Equal("Good film.", ResponseText.Decode(tokenizer, tokenizer.Encode("Good film.")));
        Assert.Equal("", ResponseText.Decode(tokenizer, [tokenizer.EndOfTextId]));
        Assert.Equal("Good", ResponseText.Decode(tokenizer, [.. tokenizer.Encode("Good film"), 50], endOfTextId: tokenizer.Encode(" film")[0]));
    }

    /// <summary>Decodes the configured end token as GPT-2 does: as a visible marker.</summary>
    private sealed class MarkerTokenizer : ITextTokenizer
    {
        private readonly CharacterTokenizer _inner = new();

        public int VocabularySize => _inner.VocabularySize;

        public int EndOfTextId => _inner.EndOfTextId;

        public IReadOnlyList<int> Encode(string text) => _inner.Encode(text);

        public string Decode(IEnumerable<int> ids) =>
            string.Concat(ids.Select(id => id == EndOfTextId ? Marker : CharacterTokenizer.Alphabet[id].ToString()));
    }

    private sealed class RecordingObjective(string name = "recorded") : IRewardObjective
    {
        public RewardBatch? Batch { get; private set; }

        public string Name => name;

        public RecordingObjective Twin() => new("twin");

        public IReadOnlyList<double> Score(RewardBatch batch)
        {
            Batch = batch;
            return [.. batch.Responses.Select(r => (double)r.Length)];
        }
    }
}
