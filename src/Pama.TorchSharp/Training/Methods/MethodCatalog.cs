using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// Every method the library ships, one line each: a key (as the sample's <c>--method</c> takes it) and how the method is
/// made with its weighting's published defaults; the Gramian readers (MGDA and the aggregators) take the gradients of
/// every trainable parameter (with a LoRA adapter: the adapter's). Nothing is tuned per method: a comparison gives every method the same
/// trainer budget. Methods that read rewards against a tracked ideal point (the running best mean reward plus
/// <see cref="IdealMargin"/>) share that one margin; smooth Tchebycheff uses <see cref="Smoothing"/>. The constrained
/// weighting needs the user's floors, so it has no entry: use <c>new WeightingMethod("constrained", n =&gt; new
/// ConstrainedWeighting(preferences, floors, stepSize))</c>.
/// </summary>
public static class MethodCatalog
{
    /// <summary>Margin of every tracked ideal point, in reward units (DWA and FAMO need it positive).</summary>
    public const double IdealMargin = 0.1;

    /// <summary>Smooth Tchebycheff's μ, in reward units.</summary>
    public const double Smoothing = 0.1;

    /// <summary>CAGrad's c (the authors' toy value, as in the aggregation demo).</summary>
    public const double CaGradC = 0.5;

    private static readonly (string Key, Func<long, IMultiObjectiveMethod> Create)[] Entries =
    [
        ("pama", _ => new PamaMethod()),
        ("morlhf", _ => new MorlhfMethod()),
        ("gdpo", _ => new NormalizeThenSumMethod()),
        ("mgda-ub", _ => new MgdaUbMethod()),
        ("mgda", _ => new WeightingMethod("MGDA", _ => new MgdaWeighting())),
        ("tchebycheff", _ => new WeightingMethod("Tchebycheff", n => new TchebycheffWeighting(Equal(n), IdealPoint.Tracked(IdealMargin)))),
        ("smooth-tchebycheff", _ => new WeightingMethod("smooth Tchebycheff", n => new SmoothTchebycheffWeighting(Equal(n), IdealPoint.Tracked(IdealMargin), Smoothing))),
        ("dwa", _ => new WeightingMethod("DWA", n => new DynamicWeightAverageWeighting(n, IdealPoint.Tracked(IdealMargin)))),
        ("famo", _ => new WeightingMethod("FAMO", n => new FamoWeighting(n, IdealPoint.Tracked(IdealMargin)))),
        ("upgrad", _ => new WeightingMethod("UPGrad", _ => new UpgradWeighting())),
        ("dualproj", _ => new WeightingMethod("DualProj", _ => new DualProjWeighting())),
        ("pcgrad", seed => new WeightingMethod("PCGrad", _ => new PcGradWeighting(seed))),
        ("cagrad", _ => new WeightingMethod("CAGrad", _ => new CaGradWeighting(CaGradC))),
        ("imtl-g", _ => new WeightingMethod("IMTL-G", _ => new ImtlGWeighting())),
        ("aligned-mtl", _ => new WeightingMethod("Aligned-MTL", _ => new AlignedMtlWeighting())),
        ("nash-mtl", _ => new WeightingMethod("Nash-MTL", _ => new NashMtlWeighting())),
        ("mean", _ => new WeightingMethod("mean", _ => new MeanWeighting())),
        ("random", seed => new WeightingMethod("random", _ => new RandomWeighting(seed))),
    ];

    /// <summary>Every key, in catalogue order.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. Entries.Select(e => e.Key)];

    /// <summary>A new instance of the method registered under <paramref name="key"/>.</summary>
    /// <param name="key">One of <see cref="Keys"/>.</param>
    /// <param name="seed">Seed of the methods that draw random numbers (PCGrad's orders, random weighting); ignored by the others.</param>
    /// <exception cref="ArgumentException">Unknown key (the message lists the known ones).</exception>
    public static IMultiObjectiveMethod Create(string key, long seed = 0)
    {
        foreach (var (k, create) in Entries)
            if (k == key) return create(seed);
        throw new ArgumentException($"Unknown method '{key}'; use {string.Join(", ", Keys)}.", nameof(key));
    }

    /// <summary>Equal preferences 1/n, for weightings that take a preference vector.</summary>
    private static double[] Equal(int objectiveCount) => [.. Enumerable.Repeat(1.0 / objectiveCount, objectiveCount)];
}
