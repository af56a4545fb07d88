using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>On real sampled responses the objective's reward lands on the first end token, or on the last token of a row that never ended.</summary>
public sealed class RewardPlacementTests
{
    [Fact]
    public void RewardLandsOnTheFirstEndTokenOrTheLastGeneratedToken()
    {
        var model = TinyModels.Gpt2(5);
        string[] prompts = ["hello there", "a short one", "what is it?", "zz", "the end."];
        var (ids, mask) = PromptBatch.LeftPad([.. prompts.Select(p => TinyModels.Tokenizer.Encode(p))], 0);
        // The end token is row 0's first sampled token (a probe with the same seed draws the same first tokens), so
        // row 0 ends at once while the other rows end wherever they happen to sample it, or never.
        var open = new SamplingOptions { MaxNewTokens = 8 };
        int eos;
        using (var probeGenerator = new Generator(1))
        using (GenerationResult probe = TextGenerator.Generate(model, ids, mask, open, probeGenerator))
            eos = (int)probe.ResponseIds[0, 0].item<long>();
        using var generator = new Generator(1);
        using GenerationResult result = TextGenerator.Generate(model, ids, mask, open with { EosTokenId = eos, PadTokenId = 0 }, generator);

        int rows = prompts.Length, width = result.ResponseLength;
        Tensor responseMask = result.ResponseMask.to(ScalarType.Float64);
        Tensor rewards = tensor(Enumerable.Range(1, rows).Select(r => (double)r).ToArray(), [rows, 1], ScalarType.Float64);
        Tensor zero = zeros(rows, width, ScalarType.Float64);
        var (tokenRewards, _) = TokenRewards.Compute(zero, zero, responseMask, rewards, klCoefficient: 0.5);

        long[] tokens = result.ResponseIds.contiguous().data<long>().ToArray();
        double[] placed = TinyModels.Values(tokenRewards);
        bool someEndedEarly = false, someRanToTheEnd = false;
        for (int b = 0; b < rows; b++)
        {
            int firstEnd = Array.IndexOf(tokens, eos, b * width, width);
            int last = firstEnd >= 0 ? firstEnd - b * width : width - 1;
            someEndedEarly |= last < width - 1;
            someRanToTheEnd |= firstEnd < 0;
            for (int t = 0; t < width; t++)
                Assert.Equal(t == last ? b + 1.0 : 0.0, placed[b * width + t]);
        }
        Assert.True(someEndedEarly, "row 0 ends at its first token");
        Assert.True(someRanToTheEnd, "the data should also hold a row that never produced the end token");
    }
}
