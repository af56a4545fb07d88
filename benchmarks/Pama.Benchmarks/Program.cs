using BenchmarkDotNet.Running;

namespace Pama.Benchmarks;

/// <summary>Entry point: every benchmark class in this assembly is selectable with --filter;
/// <c>lora-memory</c> runs <see cref="LoraMemoryBenchmark"/> (native peak memory, outside BenchmarkDotNet);
/// <c>model-memory attention|checkpointing|no-grad|vocab-padding</c> runs <see cref="ModelMemoryBenchmark"/>;
/// <c>load [directory] [bfloat16|float32] [repetitions]</c> runs <see cref="CheckpointLoadBenchmark"/>.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == LoraMemoryBenchmark.Command) return LoraMemoryBenchmark.Run(args);
        if (args.Length > 0 && args[0] == ModelMemoryBenchmark.Command) return ModelMemoryBenchmark.Run(args);
        if (args.Length > 0 && args[0] == StepMemoryBenchmark.Command) return StepMemoryBenchmark.Run(args);
        if (args.Length > 0 && args[0] == ThreadScalingBenchmark.Command) return ThreadScalingBenchmark.Run(args);
        if (args.Length > 0 && args[0] == "load")
        {
            CheckpointLoadBenchmark.Run(args[1..]);
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
