using System.Diagnostics;
using Pama.TorchSharp.Models;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Load time and peak memory of <see cref="AutoModelForCausalLM.FromPretrained"/> on a sharded bfloat16 checkpoint
/// of about 0.5 B parameters (Qwen2.5-0.5B's shape, random weights) that this benchmark writes itself.
/// A console mode rather than BenchmarkDotNet: peak resident memory is a per-process figure, and one load of a
/// 1 GB checkpoint is long enough to time directly.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- load [directory] [bfloat16|float32] [repetitions]</c>.
/// Peak memory is Linux's VmHWM, reset through <c>/proc/self/clear_refs</c> before each load, so it counts what the
/// load itself needed on top of the process's baseline.
/// </remarks>
public static class CheckpointLoadBenchmark
{
    /// <summary>Qwen2.5-0.5B's configuration: 494 M parameters, tied output layer, 24 layers, 14 query and 2 key/value heads.</summary>
    public static LlamaConfig Config { get; } = new()
    {
        ModelType = "qwen2", VocabularySize = 151936, HiddenSize = 896, IntermediateSize = 4864, LayerCount = 24,
        HeadCount = 14, KeyValueHeadCount = 2, MaxPositionEmbeddings = 32768, RmsNormEpsilon = 1e-6,
        TieWordEmbeddings = true, QueryKeyValueBias = true, Rope = new RopeParameters { Theta = 1_000_000 },
        BosTokenId = 151643, EosTokenIds = [151643],
    };

    /// <summary>Shard size: 4 shards for this model, as such checkpoints usually come.</summary>
    public const long ShardBytes = 300_000_000;

    public static void Run(string[] args)
    {
        string directory = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "pama-load-benchmark-qwen2-0.5b-bf16");
        ScalarType loadType = args.Length > 1 ? Enum.Parse<ScalarType>(args[1], ignoreCase: true) : ScalarType.BFloat16;
        int repetitions = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
        // A sharded checkpoint's index, by its Hugging Face name: present once the model below has been written.
        if (!File.Exists(Path.Combine(directory, "model.safetensors.index.json")))
        {
            var write = Stopwatch.StartNew();
            using (var model = new LlamaModel(Config, CPU, ScalarType.BFloat16))
            {
                using var generator = new Generator(1);
                using (no_grad())
                {
                    foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.02, generator);
                }
                model.SavePretrained(directory, ShardBytes);
            }
            Console.WriteLine($"wrote {directory} in {write.Elapsed.TotalSeconds:F1} s");
        }
        long checkpointBytes = Directory.EnumerateFiles(directory, "*.safetensors").Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"checkpoint: {Directory.EnumerateFiles(directory, "*.safetensors").Count()} shards, {checkpointBytes / 1e9:F3} GB");
        Console.WriteLine($"threads: {get_num_threads()}, processors: {Environment.ProcessorCount}, load average: {File.ReadAllText("/proc/loadavg").Trim()}");

        foreach (ScalarType dtype in new[] { loadType })
        {
            // The empty model alone, to tell what building the modules costs from what reading the weights costs.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long emptyBaseline = ResidentBytes("VmRSS");
            ResetPeak();
            TimeSpan buildCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var build = Stopwatch.StartNew();
            using (var empty = new LlamaModel(Config, CPU, dtype))
            {
                build.Stop();
                Console.WriteLine($"build only as {dtype}: wall {build.Elapsed.TotalSeconds:F2} s, CPU {(Process.GetCurrentProcess().TotalProcessorTime - buildCpu).TotalSeconds:F2} s, " +
                                  $"peak memory above baseline {(ResidentBytes("VmHWM") - emptyBaseline) / 1e9:F3} GB");
            }

            var seconds = new List<double>();
            var cpuSeconds = new List<double>();
            var peaks = new List<double>();
            long parameters = 0, parameterBytes = 0;
            for (int i = 0; i < repetitions; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long baseline = ResidentBytes("VmRSS");
                ResetPeak();
                TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                using (CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(directory, CPU, dtype))
                {
                    watch.Stop();
                    cpuSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
                    parameters = model.parameters().Sum(p => p.numel());
                    parameterBytes = model.parameters().Sum(p => p.numel() * p.ElementSize);
                    // Only the first load's peak is clean: the native allocator keeps some freed memory, which
                    // raises the baseline of later loads.
                    if (i == 0) peaks.Add((ResidentBytes("VmHWM") - baseline) / 1e9);
                }
                seconds.Add(watch.Elapsed.TotalSeconds);
            }
            seconds.Sort();
            cpuSeconds.Sort();
            Console.WriteLine($"load as {dtype}: {parameters / 1e6:F1} M parameters ({parameterBytes / 1e9:F3} GB); " +
                              $"wall time min {seconds[0]:F2} s, median {seconds[seconds.Count / 2]:F2} s; " +
                              $"CPU time (user + system) min {cpuSeconds[0]:F2} s, median {cpuSeconds[cpuSeconds.Count / 2]:F2} s; " +
                              $"peak memory above baseline of the first load {peaks[0]:F3} GB ({repetitions} loads)");
        }
    }

    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.WriteLine($"(cannot reset the peak: {e.Message})");
        }
    }

    private static long ResidentBytes(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return 0;
    }
}
