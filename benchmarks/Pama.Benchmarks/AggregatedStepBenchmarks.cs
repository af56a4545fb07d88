using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Pama.TorchSharp.Aggregation;
using Pama.TorchSharp.Models;
using Pama.Weightings;
using TorchSharp;
using static Pama.Benchmarks.PairedTimes;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Cost of one multi-objective backward relative to a plain single-loss backward, on a small random GPT-2 (2 layers, width
/// 128, 4 heads, vocabulary 1024, float32, CPU, one thread; 8 sequences of 32 tokens) with n = 4 token-prediction
/// objectives (each its own random targets, so they conflict). A step: zero the gradients, one forward, the n losses, and
/// the backward that leaves the combined gradient in <c>.grad</c>; the optimizer step, the same for every method, is left out.
/// </summary>
/// <remarks>
/// <para>Paired, for a shared machine: one operation takes one step of EVERY method, in an order that rotates from round
/// to round; the per-method result (median step time, and the median and mean ± standard error over rounds of the ratio to
/// the single-loss step of the same round) is printed at cleanup.</para>
/// <para><c>single-loss</c>: one backward of the mean loss (what PAMA, MORLHF and every statistics-based weighting cost:
/// their weights need no gradient). <c>pama</c>: the same plus PAMA's O(n) solve on n statistics (here the per-objective
/// losses, for the cost only). The aggregators: <see cref="MultiObjectiveBackward.Backward"/> over the trained parameters
/// (n gradients + Gramian + solve); <c>mgda-ub</c>: <see cref="MultiObjectiveBackward.BackwardThroughFeatures"/> with MGDA
/// over the last hidden states. Parameters: a rank-8 LoRA adapter on <c>c_attn</c> and <c>c_proj</c> (<c>lora</c>, base
/// frozen) or the whole model (<c>full</c>).</para>
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 12)]
public class AggregatedStepBenchmarks
{
    private const int Objectives = 4;
    private static readonly string[] Compared = ["single-loss", "pama", "mgda-ub", .. AggregatorMethods.Names.Where(n => n is not "mean" and not "random")];
    private readonly List<double>[] wall = [.. Compared.Select(_ => new List<double>())];
    private IWeighting?[] weightings = [];
    private Gpt2Model model = null!;
    private LoraAdapter? adapter;
    private Tensor[] trained = [];
    private Tensor ids = null!;
    private Tensor[] targets = [];
    private int round;

    [Params("lora", "full")]
    public string Parameters { get; set; } = "lora";

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var config = new Gpt2Config { VocabularySize = 1024, ContextLength = 64, HiddenSize = 128, LayerCount = 2, HeadCount = 4 }.WithoutDropout();
        model = new Gpt2Model(config, 7);
        if (Parameters == "lora")
        {
            adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj"] });
            trained = [.. adapter.Parameters];
        }
        else
        {
            trained = [.. model.parameters()];
        }

        using var generator = new Generator(7);
        ids = randint(1024, [8, 32], ScalarType.Int64, generator: generator);
        targets = [.. Enumerable.Range(0, Objectives).Select(_ => randint(1024, [8, 32, 1], ScalarType.Int64, generator: generator))];
        weightings = [.. Compared.Select(m => m is "single-loss" or "pama" ? null : m == "mgda-ub" ? new MgdaWeighting() : AggregatorMethods.Create(m))];
    }

    [Benchmark]
    public void RoundOfSteps()
    {
        for (int k = 0; k < Compared.Length; k++)
        {
            int c = (k + round) % Compared.Length;
            long start = Stopwatch.GetTimestamp();
            Step(Compared[c], weightings[c]);
            wall[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        round++;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        long count = trained.Sum(p => p.numel());
        Console.WriteLine($"// {Parameters}: {count:N0} trained parameters, {round} rounds");
        Console.WriteLine("| method | median step | median ratio to single-loss | mean ± s.e. of ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int c = 0; c < Compared.Length; c++)
        {
            Console.WriteLine($"| {Compared[c]} | {Median(wall[c]):F1} ms | {Median(Ratios(wall, c)):F2}× | {MeanAndError(Ratios(wall, c))} |");
        }

        adapter?.Dispose();
        model.Dispose();
    }

    private void Step(string method, IWeighting? weighting)
    {
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var p in trained)
            {
                p.grad?.zero_();
            }
        }

        var output = model.Forward(ids);
        Tensor logProbs = output.Logits.log_softmax(-1);
        Tensor[] losses = [.. targets.Select(t => logProbs.gather(-1, t).mean().neg())];
        if (weighting is null)
        {
            using var share = (1.0 / Objectives).ToScalar();
            stack(losses).sum().mul(share).backward();
            if (method == "pama")
            {
                double[] statistics = [.. losses.Select(l => l.item<float>() - 6.9)];
                PamaSolver.Solve(statistics, new double[Objectives]);
            }

            return;
        }

        if (method == "mgda-ub")
        {
            MultiObjectiveBackward.BackwardThroughFeatures(losses, [output.LastHiddenState], trained, weighting);
        }
        else
        {
            MultiObjectiveBackward.Backward(losses, trained, weighting);
        }
    }
}
