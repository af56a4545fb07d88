using System.Diagnostics;
using System.Globalization;
using Pama.GpuBench;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Peak resident memory and seconds of one real-size step, each setting in a child process of its own (the kernel's
/// <c>VmHWM</c>, reset with <c>/proc/self/clear_refs</c> before each phase; Linux only). The model has Qwen2-0.5B's widths
/// and vocabulary (hidden 896, 14 query heads, 2 key/value heads, MLP 4864, V 151,936, tied embeddings), random weights,
/// float32; the batch is B prompts of P tokens with responses of R tokens given to <c>FromResponses</c> (the scoring phase:
/// policy, reference, values, entropy) and then <c>Step(rollout, rewards)</c> (one PPO epoch, one minibatch). A watchdog
/// stops a child whose resident memory passes the limit and reports it as not fitting. Run:
/// <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- step-memory WHAT</c> with WHAT:
/// <list type="bullet">
/// <item><c>batch [layers] [limit GiB] [B,B,…]</c>: LoRA (r 8 on q_proj, v_proj), P 256, R 128, B ∈ {4, 16, 64}, without micro-batches
/// and with micro-batches of 4 rows (scoring and update);</item>
/// <item><c>scoring [layers,layers,…]</c>: the scoring phase alone at 2, 6, 12 and 24 layers, LoRA r 8, B 8, P 64, R 32
/// (peak against depth: each no-grad block frees its temporaries, issue 30);</item>
/// <item><c>logits [B] [layers]</c>: full fine-tuning, P 256, R 128: logits only at the positions that predict response tokens
/// (the library) against logits at every position (a wrapper that asks the model for all of them).</item>
/// </list>
/// </summary>
public static class StepMemoryBenchmark
{
    public const string Command = "step-memory";
    private const int PromptLength = 256, ResponseLength = 128;

    public static int Run(string[] args)
    {
        string what = args.Length > 1 ? args[1] : "";
        if (args.Length > 2 && args[2] == "child") return Child(what, args[3..]);
        string Arg(int i, string fallback) => args.Length > i ? args[i] : fallback;
        switch (what)
        {
            case "batch":
            {
                string layers = Arg(2, "2");
                double limit = double.Parse(Arg(3, "14"), CultureInfo.InvariantCulture);
                Console.WriteLine($"Qwen2-0.5B widths and vocabulary, {layers} layers, float32, LoRA r 8 (q_proj, v_proj), P {PromptLength}, R {ResponseLength}, " +
                                  $"1 PPO epoch, 1 minibatch, {torch.get_num_threads()} threads; a child above {limit} GiB resident is stopped.");
                Console.WriteLine("| B | micro-batch | resident before (MiB) | peak, scoring (MiB) | peak, update (MiB) | scoring (s) | update (s) |");
                Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|");
                int status = 0;
                foreach (string rows in args.Length > 4 ? args[4].Split(',') : ["4", "16", "64"])
                    foreach (string micro in new[] { "none", "4" })
                        status |= Child(["batch", rows, micro, layers], limit);
                return status;
            }
            case "scoring":
            {
                string[] depths = args.Length > 2 ? args[2].Split(',') : ["2", "6", "12", "24"];
                Console.WriteLine($"Qwen2-0.5B widths and vocabulary, float32, LoRA r 8 (q_proj, v_proj), B 8, P 64, R 32, {torch.get_num_threads()} threads: " +
                                  "the scoring phase (FromResponses: policy and reference log-probabilities, values, entropy, without gradients).");
                Console.WriteLine("| layers | weights (MiB) | resident before (MiB) | peak, scoring (MiB) | peak − before (MiB) | scoring (s) |");
                Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
                int status = 0;
                foreach (string layers in depths) status |= Child(["scoring", "8", layers], 20);
                return status;
            }
            case "logits":
            {
                string rows = Arg(2, "8"), layers = Arg(3, "2");
                Console.WriteLine($"Qwen2-0.5B widths and vocabulary, {layers} layers, float32, full fine-tuning, B {rows}, P {PromptLength}, R {ResponseLength}, " +
                                  $"1 PPO epoch, {torch.get_num_threads()} threads.");
                Console.WriteLine("| logits | resident before (MiB) | peak, scoring (MiB) | peak, update (MiB) | scoring (s) | update (s) |");
                Console.WriteLine("|---|---:|---:|---:|---:|---:|");
                int status = 0;
                foreach (string logits in new[] { "read", "all", "read", "all" })
                    status |= Child(["logits", rows, logits, layers], 20);
                return status;
            }
            default:
                Console.Error.WriteLine($"usage: {Command} batch [layers] [limit GiB] [B,B,...] | logits [B] [layers]");
                return 2;
        }
    }

    /// <summary>Runs one setting in a child process, stopping it when its resident memory passes <paramref name="limitGiB"/>.</summary>
    private static int Child(string[] setting, double limitGiB)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(StepMemoryBenchmark).Assembly.Location);
        foreach (string arg in (string[])[Command, setting[0], "child", .. setting[1..]]) start.ArgumentList.Add(arg);
        using Process child = Process.Start(start)!;
        Task<string> output = child.StandardOutput.ReadToEndAsync();
        double peak = 0;
        bool stopped = false;
        while (!child.WaitForExit(200))
        {
            double resident = ProcessMemory.MiB(child.Id.ToString(CultureInfo.InvariantCulture), "VmRSS") ?? 0;
            peak = Math.Max(peak, resident);
            if (resident > limitGiB * 1024)
            {
                child.Kill(entireProcessTree: true);
                stopped = true;
            }
        }
        if (stopped)
        {
            Console.WriteLine($"| {string.Join(" | ", setting[1..3])} | did not fit: stopped above {limitGiB} GiB resident |");
            return 0;
        }
        Console.WriteLine(output.Result.TrimEnd());
        return child.ExitCode;
    }

    private static int Child(string what, string[] setting)
    {
        int rows = int.Parse(setting[0], CultureInfo.InvariantCulture), layers = int.Parse(setting[^1], CultureInfo.InvariantCulture);
        LlamaConfig config = Qwen2Widths.Config(layers);
        using var generator = new Generator(3);
        var prompts = Random(rows, PromptLength, config.VocabularySize, generator);
        var responses = Random(rows, ResponseLength, config.VocabularySize, generator);
        var objectives = new[]
        {
            RewardObjective.FromTokenIds("even", (_, r) => r.Count(t => t % 2 == 0) / (double)r.Count),
            RewardObjective.FromTokenIds("small", (_, r) => r.Count(t => t < 1000) / (double)r.Count),
        };
        using Tensor rewards = rand([rows, 2], ScalarType.Float32, generator: generator);
        var options = new PamaTrainerOptions { Seed = 7, PpoEpochs = 1 };
        if (what == "scoring")
        {
            // Issue 30's setting: B 8, P 64, R 32 (the depth is the setting's last entry).
            var shortPrompts = Random(rows, 64, config.VocabularySize, generator);
            var shortResponses = Random(rows, 32, config.VocabularySize, generator);
            using LlamaModel policy = Qwen2Widths.RandomModel(config);
            using LoraAdapter adapter = LoraAdapter.Apply(policy, new LoraOptions { Rank = 8, Alpha = 16 }, generator);
            double weights = policy.parameters().Sum(p => p.numel() * p.element_size()) / 1048576.0;
            using var trainer = new PamaTrainer<LlamaModel>(policy, adapter, new WideVocabularyTokenizer(config.VocabularySize), objectives, options);
            using var scope = NewDisposeScope();
            double before = ProcessMemory.MiB("VmRSS");
            ProcessMemory.ResetPeak();
            var clock = Stopwatch.StartNew();
            trainer.FromResponses(shortPrompts, shortResponses);
            double seconds = clock.Elapsed.TotalSeconds, peak = ProcessMemory.MiB("VmHWM");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {config.LayerCount} | {weights:F0} | {before:F0} | {peak:F0} | {peak - before:F0} | {seconds:F1} |"));
            return 0;
        }
        if (what == "batch")
        {
            MicroBatchSize? micro = setting[1] == "none" ? null : MicroBatchSize.Rows(int.Parse(setting[1], CultureInfo.InvariantCulture));
            using LlamaModel policy = Qwen2Widths.RandomModel(config);
            using LoraAdapter adapter = LoraAdapter.Apply(policy, new LoraOptions { Rank = 8, Alpha = 16 }, generator);
            using var trainer = new PamaTrainer<LlamaModel>(policy, adapter, new WideVocabularyTokenizer(config.VocabularySize), objectives,
                options with { ScoringMicroBatch = micro, UpdateMicroBatch = micro });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {rows} | {setting[1]} | {Measure(() => trainer.FromResponses(prompts, responses), r => trainer.Step(r, rewards))} |"));
        }
        else
        {
            bool all = setting[1] == "all";
            using var policy = new LogitPositions(Qwen2Widths.RandomModel(config), all);
            using var reference = new LogitPositions(Qwen2Widths.RandomModel(config), all);
            using var trainer = new PamaTrainer<LogitPositions>(policy, reference, new WideVocabularyTokenizer(config.VocabularySize), objectives, options);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {(all ? "every position" : "read positions only")} | {Measure(() => trainer.FromResponses(prompts, responses), r => trainer.Step(r, rewards))} |"));
        }
        return 0;
    }

    /// <summary>"before | scoring peak | update peak | scoring s | update s" of one step.</summary>
    private static string Measure(Func<RolloutBatch> score, Action<RolloutBatch> update)
    {
        using var scope = NewDisposeScope();
        double before = ProcessMemory.MiB("VmRSS");
        ProcessMemory.ResetPeak();
        var clock = Stopwatch.StartNew();
        RolloutBatch rollout = score();
        double scoringSeconds = clock.Elapsed.TotalSeconds, scoringPeak = ProcessMemory.MiB("VmHWM");
        ProcessMemory.ResetPeak();
        clock.Restart();
        update(rollout);
        double updateSeconds = clock.Elapsed.TotalSeconds, updatePeak = ProcessMemory.MiB("VmHWM");
        return string.Create(CultureInfo.InvariantCulture, $"{before:F0} | {scoringPeak:F0} | {updatePeak:F0} | {scoringSeconds:F1} | {updateSeconds:F1}");
    }

    private static int[][] Random(int rows, int length, int vocabulary, Generator generator)
    {
        using Tensor ids = randint(0, vocabulary, [rows, length], ScalarType.Int64, generator: generator);
        long[] flat = ids.data<long>().ToArray();
        return [.. Enumerable.Range(0, rows).Select(r => flat.Skip(r * length).Take(length).Select(v => (int)v).ToArray())];
    }

    /// <summary>A causal LM that passes every call to <c>inner</c>, asking it for the logits of every position when
    /// <c>all</c> is set (what scoring cost before logits were computed only where they are read).</summary>
    private sealed class LogitPositions : nn.Module<Tensor, Tensor>, ICausalLanguageModel
    {
        private readonly CausalLanguageModel inner;
        private readonly bool _all;

        public LogitPositions(CausalLanguageModel model, bool all) : base(nameof(LogitPositions))
        {
            inner = model;
            _all = all;
            RegisterComponents();
        }

        public int VocabularySize => inner.VocabularySize;

        public int HiddenSize => inner.HiddenSize;

        public int ContextLength => inner.ContextLength;

        public bool SupportsKeyValueCache => inner.SupportsKeyValueCache;

        public KeyValueCache CreateKeyValueCache() => inner.CreateKeyValueCache();

        public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0) =>
            inner.Forward(inputIds, attentionMask, positionIds, cache, _all ? 0 : logitsToKeep);

        public override Tensor forward(Tensor input) => Forward(input).Logits;
    }
}
