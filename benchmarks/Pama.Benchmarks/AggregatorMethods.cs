using Pama.Weightings;

namespace Pama.Benchmarks;

/// <summary>The Gramian aggregators and baselines the aggregator benchmarks compare, by name (the demo's hyper-parameters).</summary>
public static class AggregatorMethods
{
    /// <summary>Every Gramian aggregator plus mean and random weighting.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["mgda", "upgrad", "dualproj", "pcgrad", "cagrad", "imtl-g", "aligned-mtl", "nash-mtl", "mean", "random"];

    /// <summary>A fresh weighting for <paramref name="name"/>.</summary>
    public static IWeighting Create(string name) => name switch
    {
        "mgda" => new MgdaWeighting(),
        "upgrad" => new UpgradWeighting(),
        "dualproj" => new DualProjWeighting(),
        "pcgrad" => new PcGradWeighting(seed: 7),
        "cagrad" => new CaGradWeighting(c: 0.4),
        "imtl-g" => new ImtlGWeighting(),
        "aligned-mtl" => new AlignedMtlWeighting(),
        "nash-mtl" => new NashMtlWeighting(),
        "mean" => new MeanWeighting(),
        "random" => new RandomWeighting(seed: 7),
        _ => throw new ArgumentException($"Unknown aggregator '{name}'.", nameof(name)),
    };
}
