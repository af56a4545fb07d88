using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;

namespace Pama.FineTune.Experiment;

/// <summary>The command line's method keys and the library methods they stand for; titles are the methods' own names.</summary>
public static class MethodNames
{
    /// <summary>The methods of the default run (the paper's comparison).</summary>
    public static readonly string[] Defaults = ["pama", "morlhf", "mgda-ub"];

    /// <summary>Every method key: the library's <see cref="MethodCatalog"/>, each with its weighting's defaults and the one budget.</summary>
    public static IReadOnlyList<string> Keys => MethodCatalog.Keys;

    /// <summary>The library method for a key (see <see cref="Keys"/>); the granularity key is read by PAMA only, the seed by
    /// methods that draw random numbers (PCGrad's orders, random weighting).</summary>
    /// <exception cref="ArgumentException">Unknown key.</exception>
    public static IMultiObjectiveMethod ToMethod(string key, string granularity = "batch", long seed = 0) =>
        key == "pama" ? new PamaMethod(ToGranularity(granularity)) : MethodCatalog.Create(key, seed);

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
