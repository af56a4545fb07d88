using Pama.TorchSharp.Tensors;
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
            return HostReads.Double(probe) == 1.0 ? null : new InvalidOperationException("A probe tensor read back a wrong value.");
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
                                      or BadImageFormatException or NotSupportedException or ExternalException)
        {
            return e;
        }
    }

    /// <summary>The message for a load failure: which known problem it is and what to do, judged from the loader's
    /// message and, since TorchSharp 0.107's message may not name the cause, from the files on this machine.</summary>
    internal static string Explain(Exception failure) =>
        Explain(failure, FindNativeLibrary("libLibTorchSharp.so") is not null, SystemLibStdCxxHas("GLIBCXX_3.4.32"));

    /// <summary>The message for a load failure, given what is known about this machine.</summary>
    /// <param name="failure">What the loader threw.</param>
    /// <param name="backendPresent">Whether <c>libLibTorchSharp.so</c> lies next to the application (a backend package is referenced).</param>
    /// <param name="systemHasGlibcxx332">Whether the system libstdc++ provides <c>GLIBCXX_3.4.32</c>; <c>null</c> if unknown (not Linux, not found).</param>
    internal static string Explain(Exception failure, bool backendPresent, bool? systemHasGlibcxx332)
    {
        string detail = Innermost(failure).Message;
        bool glibcxx = detail.Contains("GLIBCXX", StringComparison.Ordinal) || (backendPresent && systemHasGlibcxx332 == false);
        string cause = glibcxx
            ? "This is the GLIBCXX problem: libLibTorchSharp.so requires GLIBCXX_3.4.32 (GCC 13's libstdc++), which this system's libstdc++ " +
              "lacks (Debian 12 stops at 3.4.30). The Pama.TorchSharp build target marks that requirement optional in the copy placed in your " +
              "build output. Fix: make sure the target ran (it comes with the Pama.TorchSharp package through buildTransitive; in a repository " +
              "that references the project instead, import src/Pama.TorchSharp/build/Pama.TorchSharp.targets), that PamaPatchLibTorchSharp " +
              "is not set to false, then rebuild (dotnet build) so the patched copy is written; or install GCC 13 or newer's libstdc++."
            : "No libtorch backend was found next to the application. TorchSharp ships only the managed wrapper: reference a backend " +
              "package in the application project, e.g. <PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"2.10.0\" /> for CPU " +
              "or <PackageReference Include=\"TorchSharp-cuda-linux\" Version=\"0.107.0\" /> for CUDA (TorchSharp-cpu / TorchSharp-cuda-windows elsewhere).";
        return "The TorchSharp native runtime could not be loaded. " + cause + " Loader said: " + detail;
    }

    /// <summary>
    /// The torch device for a name such as <c>cpu</c>, <c>cuda</c> or <c>cuda:1</c>, after checking that it can be used, so
    /// a missing CUDA backend or GPU fails here with both fixes rather than deep inside TorchSharp.
    /// </summary>
    /// <param name="name">Device name (case-insensitive): <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    /// <exception cref="ArgumentException">The name is not a device name this library supports.</exception>
    /// <exception cref="InvalidOperationException">CUDA was requested but is not usable; the message says why and what to do.</exception>
    public static torch.Device ResolveDevice(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        string normalized = name.Trim().ToLowerInvariant();
        if (normalized == "cpu") { EnsureAvailable(); return torch.CPU; }
        if (normalized != "cuda" && !normalized.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"Unknown device '{name}'; use cpu, cuda or cuda:N.", nameof(name));
        EnsureAvailable();
        int index = 0;
        if (normalized.Length > 5 && !int.TryParse(normalized[5..], out index))
            throw new ArgumentException($"Unknown device '{name}'; use cpu, cuda or cuda:N.", nameof(name));
        bool available = torch.cuda.is_available();
        int count = available ? torch.cuda.device_count() : 0;
        if (!available || index >= count)
            throw new InvalidOperationException(ExplainMissingCuda(name, available, count, FindNativeLibrary("libtorch_cuda.so") is not null));
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>Checks a device handed to a loader: a CUDA device that cannot be used fails as <see cref="ResolveDevice"/> fails,
    /// with both fixes, rather than with TorchSharp's bare initialisation error.</summary>
    internal static void RequireUsable(torch.Device? device)
    {
        if (device is null || device.type != DeviceType.CUDA) return;
        ResolveDevice(device.index < 0 ? "cuda" : $"cuda:{device.index}");
    }

    /// <summary>Why a CUDA device cannot be used and the two ways out.</summary>
    internal static string ExplainMissingCuda(string name, bool cudaAvailable, int deviceCount, bool cudaBackendPresent)
    {
        string why = cudaAvailable
            ? $"device '{name}' was requested but only {deviceCount} CUDA device(s) are visible."
            : cudaBackendPresent
                ? "the CUDA backend is referenced but no CUDA device or driver is usable (check nvidia-smi, the driver version and CUDA_VISIBLE_DEVICES)."
                : "this application references a CPU-only libtorch backend, so CUDA cannot initialise.";
        return $"CUDA is not usable: {why} Fix either: (1) run on the CPU (device 'cpu'; every Pama.TorchSharp tensor follows the model's device), " +
               "or (2) on a machine with an NVIDIA GPU and driver, reference the CUDA backend instead of the CPU one in the application project: " +
               "<PackageReference Include=\"TorchSharp-cuda-linux\" Version=\"0.107.0\" /> (TorchSharp-cuda-windows on Windows) in place of " +
               "libtorch-cpu-linux-x64, then move the models with model.to(CUDA).";
    }

    /// <summary>Path of a native library next to the application (its folder or runtimes/&lt;rid&gt;/native), or <c>null</c>.</summary>
    private static string? FindNativeLibrary(string fileName)
    {
        string baseDirectory = AppContext.BaseDirectory;
        string[] candidates =
        [
            Path.Combine(baseDirectory, fileName),
            Path.Combine(baseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", fileName),
            Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", fileName),
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>Whether the system libstdc++ (the one the dynamic loader finds in the usual places) contains a version
    /// string; <c>null</c> when not on Linux or none was found.</summary>
    private static bool? SystemLibStdCxxHas(string version)
    {
        if (!OperatingSystem.IsLinux()) return null;
        string[] directories = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib"];
        string? path = directories.Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);
        if (path is null) return null;
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            byte[] needle = System.Text.Encoding.ASCII.GetBytes(version + "\0");
            return bytes.AsSpan().IndexOf(needle) >= 0;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }
}
