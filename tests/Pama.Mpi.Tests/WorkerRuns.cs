using System.Diagnostics;
using System.Text.Json;

namespace Pama.Mpi.Tests;

/// <summary>Launches the data-parallel test worker, alone (the one-process reference) or under <c>mpirun</c>.</summary>
internal static class WorkerRuns
{
    /// <summary>The worker's program, built beside this test assembly's configuration.</summary>
    public static string WorkerDll
    {
        get
        {
            // .../tests/Pama.Mpi.Tests/bin/<Configuration>/net10.0/ → .../tests/Pama.Mpi.Worker/bin/<Configuration>/net10.0/
            var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string framework = here.Name, configuration = here.Parent!.Name;
            string tests = here.Parent.Parent!.Parent!.Parent!.FullName;
            string dll = Path.Combine(tests, "Pama.Mpi.Worker", "bin", configuration, framework, "Pama.Mpi.Worker.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"The test worker was not built: {dll}", dll);
            return dll;
        }
    }

    /// <summary>Runs the worker with <paramref name="ranks"/> processes (1: alone, without mpirun).</summary>
    public static (int ExitCode, string Output, TimeSpan Elapsed) Run(int ranks, string arguments, TimeSpan timeout)
    {
        string file, args;
        if (ranks == 1) { file = "dotnet"; args = $"\"{WorkerDll}\" {arguments}"; }
        else { file = Mpirun(); args = $"-np {ranks} dotnet \"{WorkerDll}\" {arguments}"; }
        var info = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args} did not finish within {timeout}.\n{stdout.Result}\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result, clock.Elapsed);
    }

    /// <summary>The launcher; its absence is a setup error with the fix in the message.</summary>
    internal static string Mpirun()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, "mpirun");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("mpirun was not found: install MPICH with `bash .ci/install-mpi` (Debian/Ubuntu: apt-get install mpich).");
    }

    /// <summary>What one rank wrote for one scenario.</summary>
    public static WorkerResult Read(string directory, string scenario, int rank)
    {
        string path = Path.Combine(directory, $"{scenario}.rank{rank}.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = document.RootElement;
        var steps = root.GetProperty("steps").EnumerateArray().Select(step => step.EnumerateObject().ToDictionary(
            p => p.Name,
            p => p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray().Select(Number).ToArray() : [Number(p.Value)])).ToList();
        var parameters = root.GetProperty("parameters").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(Number).ToArray());
        return new WorkerResult(root.GetProperty("ranks").GetInt32(), steps, parameters);
    }

    private static double Number(JsonElement e) => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetDouble();
}

/// <summary>A rank's record: group size, per-step metrics (name → values) and final parameters (name → values).</summary>
internal sealed record WorkerResult(int Ranks, List<Dictionary<string, double[]>> Steps, Dictionary<string, double[]> Parameters);
