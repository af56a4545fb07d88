using System.Diagnostics;
using System.Globalization;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Trainable parameters and peak resident memory of one PAMA step, full fine-tuning (policy + reference copy, AdamW
/// over every weight) against a LoRA adapter (one model, reference = adapter disabled, AdamW over the adapter), on a
/// GPT-2 of about 100 M parameters (8 layers, width 768, GPT-2's vocabulary), float32, CPU.
/// </summary>
/// <remarks>
/// Native (libtorch) memory is invisible to BenchmarkDotNet's managed-memory diagnoser, so this is a plain program:
/// each setting runs in a child process of its own and reads the kernel's peak resident set (<c>VmHWM</c>), reset with
/// <c>/proc/self/clear_refs</c> before the step so the peak is the step's. Linux only.
/// Run: <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- lora-memory</c>.
/// </remarks>
public static class LoraMemoryBenchmark
{
    public const string Command = "lora-memory";

    private static readonly Gpt2Config Config = new Gpt2Config { ContextLength = 128, HiddenSize = 768, LayerCount = 8, HeadCount = 12 }.WithoutDropout();

    private static readonly LoraOptions Lora = LoraOptions.Paper with { TargetModules = ["c_attn", "c_proj", "c_fc"] };

    public static int Run(string[] args)
    {
        if (args.Length > 1) return RunOne(args[1]);
        Console.WriteLine($"GPT-2 {Config.LayerCount} layers, width {Config.HiddenSize}, vocabulary {Config.VocabularySize}, float32, CPU, 1 thread; " +
                          $"one PAMA step: 8 prompts, 24 new tokens, 4 PPO epochs; LoRA r {Lora.Rank}, alpha {Lora.Alpha} on {string.Join(", ", Lora.TargetModules)}.");
        Console.WriteLine("| setting | parameters | trainable | resident after setup (MiB) | peak during the step (MiB) | step (s) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (string mode in new[] { "full", "lora" })
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
            foreach (string arg in Environment.GetCommandLineArgs().Skip(1).Take(1)) start.ArgumentList.Add(arg);
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Insert(0, typeof(LoraMemoryBenchmark).Assembly.Location);
            start.ArgumentList.Add(mode);
            using Process child = Process.Start(start)!;
            Console.WriteLine(child.StandardOutput.ReadToEnd().TrimEnd());
            child.WaitForExit();
            if (child.ExitCode != 0) return child.ExitCode;
        }
        return 0;
    }

    private static int RunOne(string mode)
    {
        torch.set_num_threads(1);
        var objectives = new[]
        {
            RewardObjective.FromText("length", (p, r) => Math.Clamp(r.Length / 70.0, 0.5, 1.5)),
            RewardObjective.FromText("letter-e", (p, r) => (r.Count(c => c == 'e') + 1.0) / (r.Length + 1.0)),
        };
        var options = new PamaTrainerOptions { Seed = 7, Generation = new SamplingOptions { MaxNewTokens = 24 } };
        var policy = new Gpt2Model(Config, 1);
        Gpt2Model? reference = null;
        LoraAdapter? adapter = null;
        PamaTrainer<Gpt2Model> trainer;
        if (mode == "lora")
        {
            using var generator = new Generator(1);
            adapter = LoraAdapter.Apply(policy, Lora, generator);
            trainer = new PamaTrainer<Gpt2Model>(policy, adapter, Gpt2Tokenizer.CreateDefault(), objectives, options);
        }
        else
        {
            reference = new Gpt2Model(Config, 1);
            trainer = new PamaTrainer<Gpt2Model>(policy, reference, Gpt2Tokenizer.CreateDefault(), objectives, options);
        }
        long total = policy.parameters().Sum(p => p.numel());
        long trainable = policy.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        double setup = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        trainer.Step(TrainingStepSetup.Prompts);
        double seconds = clock.Elapsed.TotalSeconds;
        double peak = ProcessMemory.MiB("VmHWM");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {(mode == "lora" ? "LoRA" : "full fine-tuning")} | {total:N0} | {trainable:N0} ({100.0 * trainable / total:F2} %) | {setup:F0} | {peak:F0} | {seconds:F1} |"));
        trainer.Dispose();
        adapter?.Dispose();
        reference?.Dispose();
        policy.Dispose();
        return 0;
    }

}
