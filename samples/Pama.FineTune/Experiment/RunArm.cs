using System.Globalization;

namespace Pama.FineTune.Experiment;

/// <summary>
/// What one column of the experiment trains, once per seed: a method, and for a MORLHF preference sweep
/// (<c>--sweep K</c>) its preference vector.
/// </summary>
/// <param name="Method">Method key (<c>pama</c>, <c>morlhf</c>, <c>mgda-ub</c>).</param>
/// <param name="Preference">MORLHF's preference weights in objective order for a sweep run, or <c>null</c> for the method's own weighting.</param>
public sealed record RunArm(string Method, IReadOnlyList<double>? Preference = null)
{
    /// <summary>The method key of the MORLHF sweep.</summary>
    public const string SweptMethod = "morlhf";

    private const char PreferenceSeparator = '@';

    /// <summary>
    /// The arm's key in <c>metrics.csv</c>, the plots and <c>summary.json</c>'s <c>methods</c>: the method key, and for a sweep
    /// run <c>morlhf@w₁/w₂/…</c> (weights to three decimals).
    /// </summary>
    public string Key => KeyOf(Method, Preference);

    /// <summary>The folder name of the arm's run for <paramref name="seed"/> under <c>runs/</c>.</summary>
    public string DirectoryName(int seed) =>
        Preference is null ? $"{Method}-seed{seed}" : $"{Method}-w{string.Join("-", Preference.Select(Format))}-seed{seed}";

    /// <summary>The arms of a run, in order: each requested method; with a sweep, MORLHF's one run becomes one run per lattice
    /// preference (appended after the requested methods when MORLHF was not requested).</summary>
    public static IReadOnlyList<RunArm> Plan(IReadOnlyList<string> methods, int objectiveCount, int sweep)
    {
        ArgumentNullException.ThrowIfNull(methods);
        if (sweep == 0) return [.. methods.Select(m => new RunArm(m))];
        IEnumerable<RunArm> swept = PreferenceLattice.Of(objectiveCount, sweep).Select(p => new RunArm(SweptMethod, p));
        var arms = new List<RunArm>();
        foreach (string method in methods)
        {
            if (method == SweptMethod) arms.AddRange(swept);
            else arms.Add(new RunArm(method));
        }

        if (!methods.Contains(SweptMethod)) arms.AddRange(swept);
        return arms;
    }

    /// <summary>The key of a method with an optional preference (see <see cref="Key"/>).</summary>
    public static string KeyOf(string method, IReadOnlyList<double>? preference) =>
        preference is null ? method : method + PreferenceSeparator + string.Join("/", preference.Select(Format));

    /// <summary>The method key of an arm key.</summary>
    public static string MethodOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int at = key.IndexOf(PreferenceSeparator, StringComparison.Ordinal);
        return at < 0 ? key : key[..at];
    }

    /// <summary>The title of an arm key in tables and plots: the method's title, and its preference in brackets for a sweep run.</summary>
    public static string TitleOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        int at = key.IndexOf(PreferenceSeparator, StringComparison.Ordinal);
        return at < 0 ? MethodNames.Title(key) : $"{MethodNames.Title(key[..at])} ({key[(at + 1)..].Replace("/", ", ", StringComparison.Ordinal)})";
    }

    private static string Format(double weight) => weight.ToString("0.###", CultureInfo.InvariantCulture);
}
