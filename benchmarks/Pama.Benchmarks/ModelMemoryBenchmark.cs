using System.Diagnostics;
using System.Globalization;
using Pama.GpuBench;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Time and peak resident memory of the model-side choices, each setting in a child process of its own (native memory is
/// invisible to BenchmarkDotNet; the kernel's <c>VmHWM</c> is reset with <c>/proc/self/clear_refs</c> before the measured
/// work). Linux only. Run: <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- model-memory WHAT</c> with WHAT:
/// <list type="bullet">
/// <item><c>attention [T] [layers]</c>: forward + backward of a Llama-family model (default 2 layers) with Qwen2-0.5B's layer shape (width 896,
/// 14 query heads, 2 key/value heads, MLP 4864), float32, batch 2 of <c>T</c> tokens (default 1024), fused against explicit attention,
/// then fused with activation checkpointing, with a LoRA adapter (r 16, PEFT's targets), and with both;</item>
/// <item><c>checkpointing [layers]</c>: one PAMA step with a LoRA adapter (PEFT's default targets, r 16) on Qwen2-0.5B's widths
/// and vocabulary (151,936) with <c>layers</c> layers (default 6 of the real 24), float32, 8 prompts, 32 new tokens, one PPO
/// epoch, with and without activation checkpointing, then the training pass alone (forward + backward over 8 × 128 tokens);</item>
/// <item><c>no-grad [layers ...]</c>: one no-grad forward of a Llama-family model with Qwen2-0.5B's widths and vocabulary
/// (random weights, float32) at each depth (default 2, 6 and 12 layers), batch 8 of 96 tokens, logits for the last 32
/// positions (<c>logitsToKeep</c>): how the peak grows with depth now that each block frees its intermediates (issue 30);</item>
/// <item><c>vocab-padding</c>: the output projection <c>h Wᵀ</c> at GPT-2's vocabulary (50,257) against the same weight padded
/// to 50,304 rows (a multiple of 64), 512 positions, width 768, float32, in interleaved rounds (in-process, time only).</item>
/// </list>
/// </summary>
public static class ModelMemoryBenchmark
{
    public const string Command = "model-memory";

    public static int Run(string[] args)
    {
        string what = args.Length > 1 ? args[1] : "";
        if (args.Length > 2 && args[2] == "child") return Child(what, args[3..]);
        switch (what)
        {
            case "attention":
            {
                string tokens = args.Length > 2 ? args[2] : "1024", layers = args.Length > 3 ? args[3] : "2";
                Console.WriteLine($"Llama-family, {layers} layers of Qwen2-0.5B's shape, vocabulary 1024, float32, CPU, 1 thread; forward + backward, batch 2 x {tokens} tokens.");
                Console.WriteLine("| attention | resident before (MiB) | peak (MiB) | forward + backward (s) |");
                Console.WriteLine("|---|---:|---:|---:|");
                return Children(what, [["explicit", tokens, layers], ["fused", tokens, layers], ["explicit", tokens, layers], ["fused", tokens, layers],
                    ["fused-checkpointed", tokens, layers], ["fused-lora", tokens, layers], ["fused-lora-checkpointed", tokens, layers]]);
            }
            case "checkpointing":
            {
                string layers = args.Length > 2 ? args[2] : "6";
                Console.WriteLine($"Qwen2-0.5B widths and vocabulary, {layers} layers, float32, CPU, 1 thread; one PAMA step with LoRA (q_proj, v_proj; r 16), " +
                                  "8 prompts, 32 new tokens, 1 PPO epoch.");
                Console.WriteLine("| activation checkpointing | resident before (MiB) | peak during the step (MiB) | step (s) | " +
                                  "resident before the pass (MiB) | peak of forward + backward, 8 x 128 tokens (MiB) | pass (s) |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
                return Children(what, [["off", layers], ["on", layers]]);
            }
            case "no-grad":
            {
                string[] depths = args.Length > 2 ? args[2..] : ["2", "6", "12"];
                Console.WriteLine("Qwen2-0.5B widths and vocabulary (151,936), random weights, float32, CPU, 1 thread; one no-grad forward, " +
                                  "batch 8 x 96 tokens, logitsToKeep 32.");
                Console.WriteLine("| layers | weights (MiB) | resident before (MiB) | peak (MiB) | peak - before (MiB) | forward (s) |");
                Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
                return Children(what, [.. depths.Select(d => new[] { d })]);
            }
            case "vocab-padding":
                return VocabularyPadding();
            default:
                Console.Error.WriteLine($"usage: {Command} attention [T] | checkpointing [layers] | no-grad [layers ...] | vocab-padding");
                return 2;
        }
    }

    private static int Children(string what, string[][] settings)
    {
        foreach (string[] setting in settings)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(ModelMemoryBenchmark).Assembly.Location);
            foreach (string arg in (string[])[Command, what, "child", .. setting]) start.ArgumentList.Add(arg);
            using Process child = Process.Start(start)!;
            Console.WriteLine(child.StandardOutput.ReadToEnd().TrimEnd());
            child.WaitForExit();
            if (child.ExitCode != 0) return child.ExitCode;
        }
        return 0;
    }

    private static int Child(string what, string[] setting)
    {
        torch.set_num_threads(1);
        if (what == "no-grad") return NoGradForward(int.Parse(setting[0], CultureInfo.InvariantCulture));
        return what == "attention" ? Attention(setting[0], int.Parse(setting[1], CultureInfo.InvariantCulture), setting.Length > 2 ? int.Parse(setting[2], CultureInfo.InvariantCulture) : 2) : Checkpointing(setting[0] == "on", int.Parse(setting[1], CultureInfo.InvariantCulture));
    }

    private static int Attention(string implementation, int tokens, int layers)
    {
        using LlamaModel model = Qwen2Widths.RandomModel(Qwen2Widths.Config(layers, vocabulary: 1024));
        model.AttentionImplementation = implementation.StartsWith("fused", StringComparison.Ordinal) ? AttentionImplementation.Fused : AttentionImplementation.Explicit;
        model.ActivationCheckpointing = implementation.EndsWith("checkpointed", StringComparison.Ordinal);
        using var generator = new Generator(2);
        using LoraAdapter? adapter = implementation.Contains("lora", StringComparison.Ordinal) ? LoraAdapter.Apply(model, new LoraOptions { Rank = 16, Alpha = 32 }, generator) : null;
        using Tensor ids = randint(0, 1024, [2, tokens], ScalarType.Int64, generator: generator);
        double before = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            CausalLMOutput output = model.Forward(ids);
            output.Logits.sum().backward();
        }
        double seconds = clock.Elapsed.TotalSeconds, peak = ProcessMemory.MiB("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {implementation} | {before:F0} | {peak:F0} | {seconds:F2} |"));
        return 0;
    }

    private static int NoGradForward(int layers)
    {
        using LlamaModel model = Qwen2Widths.RandomModel(Qwen2Widths.Config(layers, vocabulary: 151_936));
        model.eval();
        double weights = model.parameters().Sum(p => p.numel() * p.element_size()) / (1024.0 * 1024.0);
        using var generator = new Generator(5);
        using Tensor ids = randint(0, 151_936, [8, 96], ScalarType.Int64, generator: generator);
        double before = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        using (no_grad())
        using (CausalLMOutput output = model.Forward(ids, logitsToKeep: 32))
        {
            if (output.Logits.shape[1] != 32) throw new InvalidOperationException("logitsToKeep was not honoured.");
        }
        double seconds = clock.Elapsed.TotalSeconds, peak = ProcessMemory.MiB("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {layers} | {weights:F0} | {before:F0} | {peak:F0} | {peak - before:F0} | {seconds:F2} |"));
        return 0;
    }

    private static int Checkpointing(bool on, int layers)
    {
        using LlamaModel policy = Qwen2Widths.RandomModel(Qwen2Widths.Config(layers, vocabulary: 151_936));
        using var generator = new Generator(3);
        using LoraAdapter adapter = LoraAdapter.Apply(policy, new LoraOptions { Rank = 16, Alpha = 32 }, generator);
        var objectives = new[]
        {
            RewardObjective.FromText("length", (p, r) => Math.Clamp(r.Length / 70.0, 0.5, 1.5)),
            RewardObjective.FromText("letter-e", (p, r) => (r.Count(c => c == 'e') + 1.0) / (r.Length + 1.0)),
        };
        var options = new PamaTrainerOptions
        {
            Seed = 7, PpoEpochs = 1, ActivationCheckpointing = on,
            Generation = new SamplingOptions { MaxNewTokens = 32 },
        };
        using var trainer = new PamaTrainer<LlamaModel>(policy, adapter, new WideVocabularyTokenizer(policy.VocabularySize), objectives, options);
        double before = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        trainer.Step(TrainingStepSetup.Prompts);
        double seconds = clock.Elapsed.TotalSeconds, peak = ProcessMemory.MiB("VmHWM");

        // The step's peak may come from its no-grad scoring passes (full-vocabulary logits of policy and reference);
        // the training pass alone is where checkpointing acts: forward + backward of the response log-likelihood over
        // 8 sequences of 128 tokens.
        using Tensor ids = randint(0, 50_000, [8, 128], ScalarType.Int64, generator: generator);
        double passBefore = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        clock.Restart();
        using (var scope = NewDisposeScope())
        {
            CausalLMOutput output = policy.Forward(ids);
            output.Logits.narrow(1, 0, 127).log_softmax(-1).gather(-1, ids.narrow(1, 1, 127).unsqueeze(-1)).sum().neg().backward();
        }
        double passSeconds = clock.Elapsed.TotalSeconds, passPeak = ProcessMemory.MiB("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(on ? "on" : "off")} | {before:F0} | {peak:F0} | {seconds:F1} | {passBefore:F0} | {passPeak:F0} | {passSeconds:F1} |"));
        return 0;
    }

    /// <summary>Median time of <c>h Wᵀ</c> with 50,257 rows against 50,304 rows (logits cut back to 50,257), interleaved.</summary>
    private static int VocabularyPadding()
    {
        const int Vocabulary = 50_257, Padded = 50_304, Width = 768, Positions = 512, Rounds = 7;
        using var generator = new Generator(4);
        using Tensor hidden = randn([Positions, Width], ScalarType.Float32, generator: generator);
        using Tensor weight = randn([Vocabulary, Width], ScalarType.Float32, generator: generator);
        using Tensor padded = cat([weight, zeros(Padded - Vocabulary, Width)], 0);
        Console.WriteLine($"h [{Positions}, {Width}] x W^T, float32, CPU; median of {Rounds} interleaved rounds (ms).");
        Console.WriteLine("| threads | vocabulary 50,257 | padded to 50,304 (logits narrowed back) | padded / plain |");
        Console.WriteLine("|---:|---:|---:|---:|");
        foreach (int threads in new[] { 1, 2 })
        {
            torch.set_num_threads(threads);
            var plain = new List<double>();
            var pad = new List<double>();
            for (int round = 0; round < Rounds + 1; round++)
            {
                double a = Time(() => hidden.matmul(weight.t())), b = Time(() => hidden.matmul(padded.t()).narrow(1, 0, Vocabulary).contiguous());
                if (round == 0) continue;   // warm-up
                plain.Add(a);
                pad.Add(b);
            }
            double p = Median(plain), q = Median(pad);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {threads} | {p:F1} | {q:F1} | {q / p:F2} |"));
        }
        return 0;

        static double Time(Func<Tensor> work)
        {
            var clock = Stopwatch.StartNew();
            using Tensor result = work();
            return clock.Elapsed.TotalMilliseconds;
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    }

}
