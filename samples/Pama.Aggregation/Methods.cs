using Pama.Weightings;

namespace Pama.Aggregation;

/// <summary>The aggregators the demo compares, by command-line name, with the hyper-parameters of their papers' toy runs.</summary>
public static class Methods
{
    /// <summary>Every method name, in drawing order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["mean", "mgda", "pcgrad", "cagrad", "upgrad", "dualproj", "imtl-g", "aligned-mtl", "nash-mtl", "random"];

    /// <summary>A fresh weighting for <paramref name="name"/> (stateful ones start at step 0).</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="seed">Seed of PCGrad's orders and random weighting's draws.</param>
    /// <returns>The weighting.</returns>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static IWeighting Create(string name, long seed) => name switch
    {
        "mean" => new MeanWeighting(),
        "mgda" => new MgdaWeighting(),
        "pcgrad" => new PcGradWeighting(seed),
        "cagrad" => new CaGradWeighting(c: 0.5), // the authors' toy value
        "upgrad" => new UpgradWeighting(),
        "dualproj" => new DualProjWeighting(),
        "imtl-g" => new ImtlGWeighting(),
        "aligned-mtl" => new AlignedMtlWeighting(),
        "nash-mtl" => new NashMtlWeighting(),
        "random" => new RandomWeighting(seed),
        _ => throw new ArgumentException($"Unknown method '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The name as papers write it.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <returns>The display title.</returns>
    public static string Title(string name) => name switch
    {
        "mean" => "Mean",
        "mgda" => "MGDA",
        "pcgrad" => "PCGrad",
        "cagrad" => "CAGrad (c = 0.5)",
        "upgrad" => "UPGrad",
        "dualproj" => "DualProj",
        "imtl-g" => "IMTL-G",
        "aligned-mtl" => "Aligned-MTL",
        "nash-mtl" => "Nash-MTL",
        "random" => "Random weighting",
        _ => name,
    };
}
