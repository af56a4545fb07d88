using Pama.TorchSharp.Generation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Generation;

/// <summary>End-of-text tracking and the NaN check, which run on the device and are read back only every few steps.</summary>
public sealed class DeviceSideTrackingTests
{
    private static long[][] Rows(Tensor t)
    {
        long[] flat = t.cpu().data<long>().ToArray();
        int width = (int)t.shape[1];
        return Enumerable.Range(0, (int)t.shape[0]).Select(r => flat.Skip(r * width).Take(width).ToArray()).ToArray();
    }

    private static GenerationResult Run(ScriptedModel model, int[][] prompts, SamplingOptions options)
    {
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad(prompts, padTokenId: 0);
        using (ids)
        using (mask)
        using (var generator = new Generator(1))
            return TextGenerator.Generate(model, ids, mask, options, generator);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void RowsEndAtTheirOwnEndTokenAndTheResultStopsWhereTheLastEnded(double temperature)
    {
        // Successor chains with V = 10, end token 9: prompts ending in 8, 5 and 6 end after 1, 4 and 3 tokens.
        using var model = new ScriptedModel(vocabulary: 10);
        const int pad = 0;
        var options = new SamplingOptions { MaxNewTokens = 20, Temperature = temperature, EosTokenId = 9, PadTokenId = pad };
        using GenerationResult result = Run(model, [[8], [2, 5], [6]], options);

        // All rows ended at step 3, before the first read-back (step 8): the result must still stop there.
        Assert.True(TextGenerator.CheckInterval > 4);
        Assert.Equal(4, result.ResponseLength);
        Assert.Equal(new long[][] { [9, pad, pad, pad], [6, 7, 8, 9], [7, 8, 9, pad] }, Rows(result.ResponseIds));
        Assert.Equal(new long[][] { [1, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 0] }, Rows(result.ResponseMask));
        Assert.Equal(Rows(result.Sequences).Select(r => r.Length).Distinct(), [2 + 4]);
    }

    [Fact]
    public void RowsThatNeverEndRunToMaxNewTokens()
    {
        using var model = new ScriptedModel(vocabulary: 10);
        var options = new SamplingOptions { MaxNewTokens = 11, Temperature = 0, EosTokenId = 9, PadTokenId = 0 };
        // Row 0 ends after one token; row 1 starts at 0 and reaches 9 only after 9 tokens; the run ends at step 8, mid-interval.
        using GenerationResult result = Run(model, [[8], [0]], options);
        Assert.Equal(9, result.ResponseLength);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, Rows(result.ResponseIds)[1]);
        Assert.Equal(Enumerable.Repeat(1L, 9), Rows(result.ResponseMask)[1]);
    }

    [Theory]
    [InlineData(0.0, 2)]
    [InlineData(0.7, 2)]
    [InlineData(1.0, 10)]
    public void NaNLogitsAreReportedWithRowAndStep(double temperature, int step)
    {
        // Prompt length 3: at generated step s the model sees 3 + s tokens.
        using var model = new ScriptedModel(vocabulary: 10, nanAt: (Row: 1, Length: 3 + step));
        var options = new SamplingOptions { MaxNewTokens = 16, Temperature = temperature, TopK = 5 };
        var error = Assert.Throws<InvalidOperationException>(() => Run(model, [[1, 2, 3], [4, 5, 6]], options));
        Assert.Contains("row 1", error.Message);
        Assert.Contains($"step {step}", error.Message);
    }

    [Fact]
    public void ANonCpuGeneratorIsRejected()
    {
        using var model = new ScriptedModel(vocabulary: 10);
        using var ids = tensor(new long[] { 1 }, [1, 1]);
        using var mask = ones_like(ids);
        // Anything but a CPU generator is refused up front; only the CPU generator's state is what a trainer checkpoints.
        using var generator = new Generator(0, new Device(DeviceType.CUDA));
        Assert.Throws<ArgumentException>(() => TextGenerator.Generate(model, ids, mask, new SamplingOptions(), generator));
    }
}
