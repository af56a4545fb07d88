using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using TorchSharp;
using static Pama.Benchmarks.PairedTimes;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// The cost of sampling: <see cref="TextGenerator.Generate"/> against a bare cached decode loop (forward + arg-max,
/// nothing else) of the same model on the same prompts, CPU, one intra-op thread. The model is a small random
/// GPT-2 (2 layers, width 128, 4 heads) with GPT-2's 50,257-token vocabulary, so the per-token work on the
/// <c>[B, V]</c> logits weighs as much as it can against the forward pass. B = 32 prompts of 16 tokens, 32 new tokens,
/// no end token (every run takes all steps). The target: generation at most 1.25× the bare loop.
/// </summary>
/// <remarks>
/// Paired and interleaved, robust to load from other processes: one operation runs every case once, in an order
/// that rotates from round to round. The per-case result is printed at cleanup: median time per run (wall and
/// process CPU) and the median and mean ± standard error over rounds of the ratio to the bare loop of the same round.
/// Run: <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- --filter '*GenerationBenchmarks*'</c>.
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 30)]
public class GenerationBenchmarks
{
    private const int Batch = 32, PromptLength = 16, NewTokens = 32;
    private static readonly string[] Cases = ["bare decode (forward + argmax)", "Generate (temperature 1)", "Generate (top-k 50, top-p 0.9)"];

    private Gpt2Model? _model;
    private Tensor? _prompts;
    private Tensor? _mask;
    private Generator? _generator;
    private readonly List<double>[] _wall = [.. Cases.Select(_ => new List<double>())];
    private readonly List<double>[] _cpu = [.. Cases.Select(_ => new List<double>())];
    private int _round;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var config = new Gpt2Config { ContextLength = 64, HiddenSize = 128, LayerCount = 2, HeadCount = 4 }.WithoutDropout();
        _model = new Gpt2Model(config, seed: 1);
        _model.eval();
        using var promptGenerator = new Generator(2);
        _prompts = randint(0, config.VocabularySize, [Batch, PromptLength], ScalarType.Int64, generator: promptGenerator);
        _mask = ones(Batch, PromptLength, ScalarType.Int64);
        _generator = new Generator(3);
    }

    /// <summary>One run of every case, in rotating order.</summary>
    [Benchmark]
    public void RoundOfRuns()
    {
        for (int k = 0; k < Cases.Length; k++)
        {
            int c = (k + _round) % Cases.Length;
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            long produced = c switch
            {
                0 => DecodeGreedy(),
                1 => Sample(new SamplingOptions { MaxNewTokens = NewTokens }),
                _ => Sample(new SamplingOptions { MaxNewTokens = NewTokens, TopK = 50, TopP = 0.9 }),
            };
            _wall[c].Add(clock.Elapsed.TotalSeconds);
            _cpu[c].Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
            if (produced != NewTokens) throw new InvalidOperationException($"{Cases[c]} produced {produced} tokens, not {NewTokens}.");
        }
        _round++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model?.Dispose();
        _prompts?.Dispose();
        _mask?.Dispose();
        _generator?.Dispose();
        for (int c = 0; c < Cases.Length; c++)
        {
            Console.WriteLine(
                $"// Generation [{Cases[c]}] rounds={_wall[c].Count} wall-median={Median(_wall[c]) * 1e3:F1}ms cpu-median={Median(_cpu[c]) * 1e3:F1}ms " +
                $"wall-ratio-to-bare median={Median(Ratios(_wall, c)):F4} mean={MeanAndError(Ratios(_wall, c))} " +
                $"cpu-ratio-to-bare median={Median(Ratios(_cpu, c)):F4} mean={MeanAndError(Ratios(_cpu, c))}");
        }
    }

    /// <summary>Forward + arg-max with a preallocated cache: the floor any sampler is measured against.</summary>
    private long DecodeGreedy()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using KeyValueCache cache = _model!.CreateKeyValueCache();
        cache.Reserve(PromptLength + NewTokens);
        Tensor mask = ones(Batch, PromptLength + NewTokens, ScalarType.Int64);
        Tensor positions;
        using (Scalar zero = 0.ToScalar(), end = (PromptLength + NewTokens).ToScalar(), one = 1.ToScalar())
            positions = arange(zero, end, one, ScalarType.Int64).unsqueeze(0).expand(Batch, -1);
        var tokens = new List<Tensor>(NewTokens);
        // The prefill's last position only, as the generator asks for it.
        Tensor logits = _model.Forward(_prompts!, _mask, positions.narrow(1, 0, PromptLength), cache, logitsToKeep: 1).Logits;
        logits = logits.select(1, 0);
        for (int step = 0; step < NewTokens; step++)
        {
            Tensor next = logits.argmax(-1);
            tokens.Add(next);
            if (step == NewTokens - 1) break;
            int width = PromptLength + step + 1;
            // Each step's outputs are freed as it ends, as the generator does.
            using var stepScope = NewDisposeScope();
            Tensor nextLogits = _model.Forward(next.unsqueeze(1), mask.narrow(1, 0, width), positions.narrow(1, width - 1, 1), cache)
                .Logits.squeeze(1).MoveToOuterDisposeScope();
            logits.Dispose();
            logits = nextLogits;
        }
        return stack(tokens, 1).shape[1];
    }

    private long Sample(SamplingOptions options)
    {
        using GenerationResult result = TextGenerator.Generate(_model!, _prompts!, _mask!, options, _generator!);
        return result.ResponseLength;
    }
}
