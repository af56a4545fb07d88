using Pama.TorchSharp.Generation;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Generation;

public sealed class PromptBatchTests
{
    [Fact]
    public void LeftPadsAndNumbersPositionsFromTheFirstRealToken()
    {
        (Tensor ids, Tensor mask) = PromptBatch.LeftPad([[4, 5, 6], [7]], padTokenId: 9);
        using (ids)
        using (mask)
        using (Tensor positions = PromptBatch.PositionIds(mask))
        {
            Assert.Equal(new long[] { 4, 5, 6, 9, 9, 7 }, ids.data<long>().ToArray());
            Assert.Equal(new long[] { 1, 1, 1, 0, 0, 1 }, mask.data<long>().ToArray());
            Assert.Equal(new long[] { 0, 1, 2, 0, 0, 0 }, positions.data<long>().ToArray());
        }
    }

    [Fact]
    public void RejectsEmptyPromptsNamingTheIndex()
    {
        var error = Assert.Throws<ArgumentException>(() => PromptBatch.LeftPad([[1], []], padTokenId: 0));
        Assert.Contains("Prompt 1", error.Message);
    }
}
