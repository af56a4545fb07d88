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

    [Fact]
    public void GlibcxxFailureExplainsThePatchTarget()
    {
        var failure = new TypeInitializationException("TorchSharp.torch",
            new DllNotFoundException("libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found"));
        string message = TorchRuntime.Explain(failure);
        Assert.Contains("GLIBCXX_3.4.32", message);
        Assert.Contains("PamaPatchLibTorchSharp", message);
        Assert.DoesNotContain("No libtorch backend", message);
    }

    [Fact]
    public void MissingBackendNamesThePackagesToReference()
    {
        string message = TorchRuntime.Explain(new DllNotFoundException("Unable to load shared library 'LibTorchSharp'"));
        Assert.Contains("libtorch-cpu-linux-x64", message);
        Assert.Contains("TorchSharp-cuda-linux", message);
        Assert.Contains("Unable to load shared library 'LibTorchSharp'", message);
    }
}
