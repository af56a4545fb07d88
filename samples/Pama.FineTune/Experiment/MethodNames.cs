using Pama.TorchSharp.Training;

namespace Pama.FineTune.Experiment;

/// <summary>The command line's method keys and their library methods and display titles.</summary>
public static class MethodNames
{
    /// <summary>The library method for a key (<c>pama</c>, <c>morlhf</c>, <c>mgda-ub</c>).</summary>
    /// <exception cref="ArgumentException">Unknown key.</exception>
    public static TrainingMethod ToMethod(string key) => key switch
    {
        "pama" => TrainingMethod.Pama,
        "morlhf" => TrainingMethod.Morlhf,
        "mgda-ub" => TrainingMethod.MgdaUb,
        _ => throw new ArgumentException($"Unknown method '{key}'; use pama, morlhf or mgda-ub.", nameof(key)),
    };

    /// <summary>The title used in tables, plots and samples: PAMA, MORLHF, MGDA-UB.</summary>
    public static string Title(string key) => key switch
    {
        "pama" => "PAMA",
        "morlhf" => "MORLHF",
        "mgda-ub" => "MGDA-UB",
        _ => key,
    };

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
