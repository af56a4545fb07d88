using TorchSharp;
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
        string message = TorchRuntime.Explain(new DllNotFoundException("Unable to load shared library 'LibTorchSharp'"), backendPresent: false, systemHasGlibcxx332: null);
        Assert.Contains("libtorch-cpu-linux-x64", message);
        Assert.Contains("TorchSharp-cuda-linux", message);
        Assert.Contains("Unable to load shared library 'LibTorchSharp'", message);
    }

    [Fact]
    public void AMessageWithoutGlibcxxIsStillDiagnosedAsGlibcxxWhenTheBackendIsThereAndTheSystemLibStdCxxLacksTheVersion()
    {
        // TorchSharp 0.107 reports a bare "Unable to load shared library" even when the cause is GLIBCXX_3.4.32.
        var failure = new TypeInitializationException("TorchSharp.torch", new DllNotFoundException("Unable to load shared library 'LibTorchSharp'"));

        string message = TorchRuntime.Explain(failure, backendPresent: true, systemHasGlibcxx332: false);

        Assert.Contains("GLIBCXX problem", message);
        Assert.Contains("PamaPatchLibTorchSharp", message);
        Assert.Contains("rebuild", message);
        Assert.DoesNotContain("No libtorch backend", message);
        Assert.Contains("No libtorch backend", TorchRuntime.Explain(failure, backendPresent: false, systemHasGlibcxx332: false));
        Assert.Contains("No libtorch backend", TorchRuntime.Explain(failure, backendPresent: true, systemHasGlibcxx332: true));
    }

    [Fact]
    public void CudaWithoutABackendOrDeviceExplainsBothFixes()
    {
        // This test project references the CPU backend only, so CUDA is never usable here.
        var error = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda"));
        Assert.Contains("CPU-only libtorch backend", error.Message);
        Assert.Contains("device 'cpu'", error.Message);
        Assert.Contains("TorchSharp-cuda-linux", error.Message);

        Assert.Contains("no CUDA device or driver", TorchRuntime.ExplainMissingCuda("cuda", cudaAvailable: false, deviceCount: 0, cudaBackendPresent: true));
        Assert.Contains("only 1 CUDA device", TorchRuntime.ExplainMissingCuda("cuda:1", cudaAvailable: true, deviceCount: 1, cudaBackendPresent: true));
        Assert.Equal(DeviceType.CPU, TorchRuntime.ResolveDevice("CPU").type);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => TorchRuntime.ResolveDevice("tpu")).ParamName);
    }
}
