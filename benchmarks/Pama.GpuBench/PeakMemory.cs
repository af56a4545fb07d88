using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.GpuBench;

/// <summary>
/// Peak memory of a piece of work: on the CPU the process's peak resident set (<c>VmHWM</c>, reset before the work); on a
/// CUDA device the device memory in use as <c>nvidia-smi</c> reports it, sampled every 50 ms (TorchSharp 0.107 exposes no
/// CUDA allocator statistics), as the peak above the level before the work.
/// </summary>
internal static class PeakMemory
{
    /// <summary>Runs <paramref name="work"/> and returns its peak memory in MiB and what was measured.</summary>
    public static (double MiB, string What) Measure(Device device, Action work)
    {
        if (device.type != DeviceType.CUDA)
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            work();
            return (Status("VmHWM"), "peak resident set");
        }
        int index = device.index < 0 ? 0 : device.index;
        double before = DeviceUsed(index) ?? double.NaN, peak = before;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (DeviceUsed(index) is { } used) peak = Math.Max(peak, used);
                Thread.Sleep(50);
            }
        });
        work();
        cuda.synchronize(device);
        stop.Cancel();
        sampler.Wait();
        return (peak - before, "nvidia-smi memory.used above the level before, sampled every 50 ms");
    }

    private static double? DeviceUsed(int index)
    {
        try
        {
            var start = new ProcessStartInfo("nvidia-smi", ["--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", index.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process process = Process.Start(start)!;
            string text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double mib) ? mib : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;   // no nvidia-smi: the peak reads NaN
        }
    }

    private static double Status(string key)
    {
        string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    }
}
