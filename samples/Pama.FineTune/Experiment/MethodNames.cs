using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.Weightings;

namespace Pama.FineTune.Experiment;

/// <summary>The command line's method keys and the library methods they stand for; titles are the methods' own names.</summary>
public static class MethodNames
{
    /// <summary>
    /// Every selectable method, one line each: its key and how it is made (the granularity key is read by PAMA only). Every
    /// method runs with the trainer's one budget and the weighting's own defaults: nothing is tuned per method.
    /// </summary>
    private static readonly (string Key, Func<string, IMultiObjectiveMethod> Create)[] Registry =
    [
        ("pama", granularity => new PamaMethod(ToGranularity(granularity))),
        ("morlhf", _ => new MorlhfMethod()),
        ("mgda-ub", _ => new MgdaUbMethod()),
        ("gdpo", _ => new NormalizeThenSumMethod()),
        ("mgda", _ => new WeightingMethod("MGDA", _ => new MgdaWeighting())),
    ];

    /// <summary>The methods of the default run (the paper's comparison).</summary>
    public static readonly string[] Defaults = ["pama", "morlhf", "mgda-ub"];

    /// <summary>Every method key, in registry order.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. Registry.Select(r => r.Key)];

    /// <summary>The library method for a key (see <see cref="Keys"/>); the granularity key is read by PAMA only.</summary>
    /// <exception cref="ArgumentException">Unknown key.</exception>
    public static IMultiObjectiveMethod ToMethod(string key, string granularity = "batch")
    {
        foreach (var (k, create) in Registry)
            if (k == key) return create(granularity);
        throw new ArgumentException($"Unknown method '{key}'; use {string.Join(", ", Keys)}.", nameof(key));
    }

    /// <summary>The title used in tables, plots and samples: the library method's <see cref="IMultiObjectiveMethod.Name"/> (PAMA, MORLHF, MGDA-UB, ...).</summary>
    public static string Title(string key) => ToMethod(key).Name;

    /// <summary>The library granularity for a key (<c>batch</c>, <c>sequence</c>, <c>token</c>).</summary>
    /// <exception cref="ArgumentException">Unknown key.</exception>
    public static WeightingGranularity ToGranularity(string key) => key switch
    {
        "batch" => WeightingGranularity.Batch,
        "sequence" => WeightingGranularity.Sequence,
        "token" => WeightingGranularity.Token,
        _ => throw new ArgumentException($"Unknown granularity '{key}'; use batch, sequence or token.", nameof(key)),
    };
}
