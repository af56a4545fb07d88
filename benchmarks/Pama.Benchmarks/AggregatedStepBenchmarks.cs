using BenchmarkDotNet.Attributes;
using Pama.TorchSharp.Aggregation;
using Pama.TorchSharp.Models;
using Pama.Weightings;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// Cost of one multi-objective backward relative to a plain single-loss backward, on a small random GPT-2 (2 layers, width
/// 128, 4 heads, vocabulary 1024, float32, CPU; 8 sequences of 32 tokens) with n = 4 token-prediction objectives (each its
/// own random targets, so they conflict). Each operation: zero the gradients, one forward, the n losses, and the backward
/// that leaves the combined gradient in <c>.grad</c>; the optimizer step, the same for every method, is left out.
/// </summary>
/// <remarks>
/// <c>single-loss</c>: one backward of the mean loss (what PAMA, MORLHF and every statistics-based weighting cost: their
/// weights need no gradient). <c>pama</c>: the same plus PAMA's O(n) solve on n statistics (here the per-objective mean
/// losses, for the cost only). The aggregators: <see cref="MultiObjectiveBackward.Backward"/> over the trained parameters
/// (n gradients + Gramian + solve); <c>mgda-ub</c>: <see cref="MultiObjectiveBackward.BackwardThroughFeatures"/> with
/// MGDA over the last hidden states. Parameters: the whole model (<c>full</c>) or a rank-8 LoRA adapter on
/// <c>c_attn</c> and <c>c_proj</c> (<c>lora</c>, base frozen).
/// </remarks>
[MemoryDiagnoser]
public class AggregatedStepBenchmarks
{
    private const int Objectives = 4;
    private Gpt2Model model = null!;
    private LoraAdapter? adapter;
    private Tensor[] trained = [];
    private Tensor ids = null!;
    private Tensor[] targets = [];
    private IWeighting? weighting;

    [ParamsSource(nameof(Methods))]
    public string Method { get; set; } = "single-loss";

    [Params("lora", "full")]
    public string Parameters { get; set; } = "lora";

    public static IEnumerable<string> Methods => ["single-loss", "pama", "mgda-ub", .. AggregatorMethods.Names.Where(n => n is not "mean" and not "random")];

    [GlobalSetup]
    public void Setup()
    {
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
        weighting = Method is "single-loss" or "pama" ? null : Method == "mgda-ub" ? new MgdaWeighting() : AggregatorMethods.Create(Method);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        adapter?.Dispose();
        model.Dispose();
    }

    [Benchmark]
    public double Step()
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
            Tensor mean = stack(losses).sum().mul(share);
            mean.backward();
            if (Method == "pama")
            {
                double[] statistics = [.. losses.Select(l => l.item<float>() - 6.9)];
                return PamaSolver.Solve(statistics, new double[Objectives]);
            }

            return 0.0;
        }

        var result = Method == "mgda-ub"
            ? MultiObjectiveBackward.BackwardThroughFeatures(losses, [output.LastHiddenState], trained, weighting)
            : MultiObjectiveBackward.Backward(losses, trained, weighting);
        return result.Weights[0];
    }
}
