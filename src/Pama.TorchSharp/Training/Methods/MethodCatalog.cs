using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// Every method the library ships, one line each: a key (as the sample's <c>--method</c> takes it) and how the method is
/// made with its weighting's published defaults. Nothing is tuned per method: a comparison gives every method the same
/// trainer budget.
/// </summary>
public static class MethodCatalog
{
    private static readonly (string Key, Func<IMultiObjectiveMethod> Create)[] Entries =
    [
        ("pama", () => new PamaMethod()),
        ("morlhf", () => new MorlhfMethod()),
        ("gdpo", () => new NormalizeThenSumMethod()),
        ("mgda-ub", () => new MgdaUbMethod()),
        ("mgda", () => new WeightingMethod("MGDA", _ => new MgdaWeighting())),
    ];

    /// <summary>Every key, in catalogue order.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. Entries.Select(e => e.Key)];

    /// <summary>A new instance of the method registered under <paramref name="key"/>.</summary>
    /// <exception cref="ArgumentException">Unknown key (the message lists the known ones).</exception>
    public static IMultiObjectiveMethod Create(string key)
    {
        foreach (var (k, create) in Entries)
            if (k == key) return create();
        throw new ArgumentException($"Unknown method '{key}'; use {string.Join(", ", Keys)}.", nameof(key));
    }

    /// <summary>Equal preferences 1/n, for weightings that take a preference vector.</summary>
    private static double[] Equal(int objectiveCount) => [.. Enumerable.Repeat(1.0 / objectiveCount, objectiveCount)];
}
