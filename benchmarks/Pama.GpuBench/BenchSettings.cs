using Pama.TorchSharp.Models;
using static TorchSharp.torch;

namespace Pama.GpuBench;

/// <summary>What one run measures: the model shape, its type and device, and the rollout shape.</summary>
/// <param name="Name">Display name of the model shape.</param>
/// <param name="Gpt2">GPT-2 hyper-parameters, or <c>null</c> for a Llama shape.</param>
/// <param name="Llama">Llama hyper-parameters, or <c>null</c> for a GPT-2 shape.</param>
/// <param name="DType">Parameter type.</param>
/// <param name="Device">Device the model runs on.</param>
/// <param name="Batch">Prompts per batch (B).</param>
/// <param name="PromptLength">Prompt tokens per row (P).</param>
/// <param name="NewTokens">Sampled tokens per row (N), always all of them (no end token).</param>
/// <param name="Repeats">Timed repetitions of each measurement, after one untimed warm-up.</param>
internal sealed record BenchSettings(string Name, Gpt2Config? Gpt2, LlamaConfig? Llama, ScalarType DType, Device Device,
    int Batch, int PromptLength, int NewTokens, int Repeats)
{
    /// <summary>Usage line.</summary>
    public const string Usage = "Pama.GpuBench [--model gpt2|llama-1b] [--quick] [--device cpu|cuda] [--repeats N]";

    /// <summary>Vocabulary size of the model shape.</summary>
    public int VocabularySize => Gpt2?.VocabularySize ?? Llama!.VocabularySize;

    /// <summary>Reads <c>--model</c>, <c>--quick</c>, <c>--device</c> and <c>--repeats</c>.</summary>
    /// <exception cref="ArgumentException">An argument is unknown or malformed.</exception>
    public static BenchSettings Parse(string[] args)
    {
        bool quick = false;
        string model = "gpt2";
        string? deviceName = null;
        int? repeats = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": quick = true; break;
                case "--model" when i + 1 < args.Length: model = args[++i]; break;
                case "--device" when i + 1 < args.Length: deviceName = args[++i]; break;
                case "--repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], out int r) && r > 0: repeats = r; i++; break;
                default: throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'. Usage: {Usage}");
            }
        }
        Device device = deviceName switch
        {
            null => cuda.is_available() ? CUDA : CPU,
            "cpu" => CPU,
            "cuda" => CUDA,
            _ => throw new ArgumentException($"--device must be cpu or cuda, got '{deviceName}'."),
        };

        // The full shapes are the ones transformers was timed at (B 64, P 16, N 48): GPT-2 124M in float32 and the
        // Llama-3.2-1B shape in bfloat16. --quick shrinks the model and the batch for a CPU smoke run; GPT-2 keeps its
        // vocabulary, which the tokenizer of the PAMA step needs.
        int batch = quick ? 4 : 64, prompt = quick ? 8 : 16, newTokens = quick ? 8 : 48, times = repeats ?? (quick ? 1 : 3);
        return model switch
        {
            "gpt2" => new BenchSettings(quick ? "GPT-2 quick (2 layers, width 64)" : "GPT-2 124M",
                quick ? new Gpt2Config { ContextLength = 32, HiddenSize = 64, LayerCount = 2, HeadCount = 2 }.WithoutDropout() : new Gpt2Config().WithoutDropout(),
                null, ScalarType.Float32, device, batch, prompt, newTokens, times),
            "llama-1b" => new BenchSettings(quick ? "Llama quick (2 layers, width 64)" : "Llama-3.2-1B shape", null,
                quick
                    ? new LlamaConfig { VocabularySize = 50257, HiddenSize = 64, IntermediateSize = 128, LayerCount = 2, HeadCount = 4, KeyValueHeadCount = 2, TieWordEmbeddings = true }
                    : new LlamaConfig { VocabularySize = 128256, HiddenSize = 2048, IntermediateSize = 8192, LayerCount = 16, HeadCount = 32, KeyValueHeadCount = 8, MaxPositionEmbeddings = 2048, TieWordEmbeddings = true },
                ScalarType.BFloat16, device, batch, prompt, newTokens, times),
            _ => throw new ArgumentException($"--model must be gpt2 or llama-1b, got '{model}'."),
        };
    }
}
