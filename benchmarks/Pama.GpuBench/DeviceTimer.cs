using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.GpuBench;

/// <summary>Wall-clock timing that waits for the device, so queued GPU work is counted where it was issued.</summary>
internal static class DeviceTimer
{
    /// <summary>Runs <paramref name="work"/> once untimed, then <paramref name="repeats"/> times; returns the mean seconds.</summary>
    public static double MeanSeconds(Device device, int repeats, Action work)
    {
        work();
        Synchronize(device);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) work();
        Synchronize(device);
        return clock.Elapsed.TotalSeconds / repeats;
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize(device);
    }
}
