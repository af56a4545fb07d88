using Pama.TorchSharp.Models;
using static TorchSharp.torch;

namespace Pama.GpuBench;

/// <summary>What one run measures: the model shape, its type and device, and the rollout shape.</summary>
/// <param name="Name">Display name of the model shape.</param>
/// <param name="Config">GPT-2 hyper-parameters (weights are random).</param>
/// <param name="DType">Parameter type.</param>
/// <param name="Device">Device the model runs on.</param>
/// <param name="Batch">Prompts per batch (B).</param>
/// <param name="PromptLength">Prompt tokens per row (P).</param>
/// <param name="NewTokens">Sampled tokens per row (N), always all of them (no end token).</param>
/// <param name="Repeats">Timed repetitions of each measurement, after one untimed warm-up.</param>
internal sealed record BenchSettings(string Name, Gpt2Config Config, ScalarType DType, Device Device, int Batch, int PromptLength, int NewTokens, int Repeats)
{
    /// <summary>Reads <c>--quick</c>, <c>--device cpu|cuda</c> and <c>--repeats N</c>.</summary>
    /// <exception cref="ArgumentException">An argument is unknown or malformed.</exception>
    public static BenchSettings Parse(string[] args)
    {
        bool quick = false;
        string? deviceName = null;
        int? repeats = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--device" when i + 1 < args.Length: deviceName = args[++i]; break;
                case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r > 0: repeats = r; i++; break;
                default: throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'. Usage: Pama.GpuBench [--quick] [--device cpu|cuda] [--repeats N]");
            }
        }
        Device device = deviceName switch
        {
            null => cuda.is_available() ? CUDA : CPU,
            "cpu" => CPU,
            "cuda" => CUDA,
            _ => throw new ArgumentException($"--device must be cpu or cuda, got '{deviceName}'."),
        };

        // GPT-2 124M (the default configuration) at B 64, P 16, N 48 in float32, the shapes transformers was timed at;
        // --quick keeps the GPT-2 vocabulary (the tokenizer needs it) and shrinks everything else for a CPU smoke run.
        return quick
            ? new BenchSettings("GPT-2 quick (2 layers, width 64)",
                new Gpt2Config { ContextLength = 32, HiddenSize = 64, LayerCount = 2, HeadCount = 2 }.WithoutDropout(),
                ScalarType.Float32, device, Batch: 4, PromptLength: 8, NewTokens: 8, Repeats: repeats ?? 1)
            : new BenchSettings("GPT-2 124M", new Gpt2Config().WithoutDropout(),
                ScalarType.Float32, device, Batch: 64, PromptLength: 16, NewTokens: 48, Repeats: repeats ?? 3);
    }
}
