using System.Globalization;

namespace Pama.Benchmarks;

/// <summary>Resident memory from Linux's <c>/proc/&lt;pid&gt;/status</c>: native (libtorch) memory that BenchmarkDotNet cannot see.</summary>
internal static class ProcessMemory
{
    /// <summary>A line of this process's status, such as <c>VmHWM</c> (peak) or <c>VmRSS</c> (now), in MiB.</summary>
    public static double MiB(string key) => MiB("self", key) ?? throw new InvalidOperationException($"/proc/self/status has no {key}.");

    /// <summary>The same for another process; <c>null</c> once it has gone.</summary>
    public static double? MiB(string process, string key)
    {
        try
        {
            string? line = File.ReadLines($"/proc/{process}/status").FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal));
            // "VmHWM:\t12345678 kB": a tab after the colon, then spaces when the number is short.
            return line is null ? null : long.Parse(line.Split([' ', '\t', ':'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { return null; }
    }

    /// <summary>Resets the peak (<c>VmHWM</c>) to the current resident size, so the next peak is the next work's.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
}
