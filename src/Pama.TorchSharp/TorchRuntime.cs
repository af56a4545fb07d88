using System.Runtime.InteropServices;
using TorchSharp;

namespace Pama.TorchSharp;

/// <summary>
/// Checks once that TorchSharp's native libraries load, and turns the loader's bare
/// <see cref="DllNotFoundException"/> into an explanation of what to reference or fix.
/// </summary>
public static class TorchRuntime
{
    // The check is idempotent and its outcome cannot change within a process, so one shared
    // result is not mutable state in any meaningful sense.
    private static readonly Lazy<Exception?> Failure = new(Probe, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Ensures the TorchSharp native runtime (libtorch and libLibTorchSharp) is usable by creating a
    /// one-element tensor. Cheap after the first call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The native runtime cannot be loaded; the message says why and what to do.</exception>
    public static void EnsureAvailable()
    {
        if (Failure.Value is { } failure)
            throw new InvalidOperationException(Explain(failure), failure);
    }

    private static Exception? Probe()
    {
        try
        {
            using torch.Tensor probe = torch.ones(1);
            return probe.item<float>() == 1f ? null : new InvalidOperationException("A probe tensor read back a wrong value.");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
                                      or BadImageFormatException or NotSupportedException or ExternalException)
        {
            return e;
        }
    }

    /// <summary>The message for a load failure: which known problem it is and what to do.</summary>
    internal static string Explain(Exception failure)
    {
        string detail = Innermost(failure).Message;
        string cause = detail.Contains("GLIBCXX", StringComparison.Ordinal)
            ? "libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++), which this system's libstdc++ lacks. " +
              "The Pama.TorchSharp build target marks that requirement optional in the copy placed in your build output; " +
              "make sure the target ran (it is imported through buildTransitive, or import build/Pama.TorchSharp.targets " +
              "yourself) and that PamaPatchLibTorchSharp is not set to false, then rebuild. Alternatively install GCC 13 or newer's libstdc++."
            : "No libtorch backend was found next to the application. TorchSharp ships only the managed wrapper: reference a backend " +
              "package in the application project, e.g. <PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"2.10.0\" /> for CPU " +
              "or <PackageReference Include=\"TorchSharp-cuda-linux\" Version=\"0.107.0\" /> for CUDA (TorchSharp-cpu / TorchSharp-cuda-windows elsewhere).";
        return "The TorchSharp native runtime could not be loaded. " + cause + " Loader said: " + detail;
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }
}
