using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests;

public sealed class RuntimeTests
{
    [Fact]
    public void EnsureAvailableSucceedsAndTorchComputes()
    {
        TorchRuntime.EnsureAvailable();
        TorchRuntime.EnsureAvailable();
        using var a = tensor(new double[] { 1, 2, 3 });
        using Tensor dot = a.dot(a);
        Assert.Equal(14.0, dot.item<double>());
    }
}
