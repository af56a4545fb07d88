using BenchmarkDotNet.Attributes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using KeptAdamW = Pama.TorchSharp.Training.Optimizers.AdamW;

namespace Pama.Benchmarks;

/// <summary>
/// One AdamW step (weight decay 0.01) over float32 parameters shaped like GPT-2 124M's: the Scalar-safe
/// <see cref="KeptAdamW"/> against TorchSharp's <c>optim.AdamW</c>. <c>block</c> is one transformer block plus the
/// position embeddings (7.9M parameters); <c>gpt2</c> is the whole model (124M; about 2 GB per optimizer).
/// </summary>
[MemoryDiagnoser]
public class AdamWStepBenchmarks
{
    private const int Hidden = 768, Vocabulary = 50257, Context = 1024, Layers = 12;

    /// <summary>Which parameter set: <c>block</c> or <c>gpt2</c>.</summary>
    [Params("block")]
    public string Shapes { get; set; } = "block";

    private Parameter[] _kept = [], _torchSharp = [];
    private KeptAdamW? _keptOptimizer;
    private OptimizerHelper? _torchSharpOptimizer;

    private static IEnumerable<long[]> Block() =>
    [
        [Hidden], [Hidden], [Hidden, 3 * Hidden], [3 * Hidden], [Hidden, Hidden], [Hidden],
        [Hidden], [Hidden], [Hidden, 4 * Hidden], [4 * Hidden], [4 * Hidden, Hidden], [Hidden],
    ];

    private IEnumerable<long[]> ParameterShapes() => Shapes == "gpt2"
        ? new[] { new long[] { Vocabulary, Hidden }, [Context, Hidden] }.Concat(Enumerable.Range(0, Layers).SelectMany(_ => Block())).Concat([[Hidden], [Hidden]])
        : new[] { new long[] { Context, Hidden } }.Concat(Block());

    private Parameter[] Create(long seed)
    {
        using var generator = new Generator((ulong)seed);
        return [.. ParameterShapes().Select(shape =>
        {
            var p = new Parameter(randn(shape, ScalarType.Float32, generator: generator));
            using Tensor g = randn(shape, ScalarType.Float32, generator: generator);
            p.grad = g.clone();
            return p;
        })];
    }

    [GlobalSetup]
    public void Setup()
    {
        _kept = Create(1);
        _torchSharp = Create(1);
        _keptOptimizer = new KeptAdamW(_kept, lr: 1e-5, weight_decay: 0.01);
#pragma warning disable RS0030 // the unsafe optimizer is what this benchmark measures against; no other thread collects here
        _torchSharpOptimizer = optim.AdamW(_torchSharp, lr: 1e-5, weight_decay: 0.01);
#pragma warning restore RS0030
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _keptOptimizer?.Dispose();
        _torchSharpOptimizer?.Dispose();
        foreach (Parameter p in _kept.Concat(_torchSharp)) p.Dispose();
    }

    /// <summary>TorchSharp 0.107's <c>optim.AdamW</c>.</summary>
    [Benchmark(Baseline = true)]
    public void TorchSharpAdamW() => _torchSharpOptimizer!.step();

    /// <summary><see cref="KeptAdamW"/>.</summary>
    [Benchmark]
    public void ScalarSafeAdamW() => _keptOptimizer!.step();
}
