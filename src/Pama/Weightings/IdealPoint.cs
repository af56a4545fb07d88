namespace Pama.Weightings;

/// <summary>
/// The ideal (utopia) point z* that the reward-reading weightings measure each objective's shortfall against:
/// either fixed by the user (for example the upper bound of a bounded reward) or tracked by the weighting as the
/// running maximum of the observed mean rewards plus a margin, zᵢ* = max over observed steps s of fᵢ(s) + margin
/// (the convention of MORL-Baselines' Tchebycheff utility). Immutable.
/// </summary>
/// <remarks>
/// A tracked ideal point is part of the weighting's checkpointed state. When the weighting evaluates rewards
/// that it has not observed, the tracked maximum includes them too, so the shortfall zᵢ* − fᵢ is never below
/// the margin.
/// </remarks>
public sealed class IdealPoint
{
    private readonly double[]? values;

    private IdealPoint(double[]? values, double margin)
    {
        this.values = values;
        Margin = margin;
        Values = values is null ? null : Array.AsReadOnly(values);
    }

    /// <summary>True when the weighting tracks the ideal point from the rewards it observes.</summary>
    public bool IsTracked => values is null;

    /// <summary>The margin added to the running maximum of a tracked ideal point (0 for a given one).</summary>
    public double Margin { get; }

    /// <summary>The user's ideal point, one value per objective, or null when tracked.</summary>
    public IReadOnlyList<double>? Values { get; }

    /// <summary>Number of objectives of a given ideal point; 0 for a tracked one (it fits any count).</summary>
    public int ObjectiveCount => values?.Length ?? 0;

    /// <summary>An ideal point fixed by the user.</summary>
    /// <param name="values">One finite value zᵢ* per objective (the best mean reward each objective can reach).</param>
    /// <returns>The ideal point.</returns>
    /// <exception cref="ArgumentException">Empty, or a value is NaN or ±∞ (the message names the objective index).</exception>
    public static IdealPoint Given(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("The ideal point needs one value per objective.", nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                throw new ArgumentException(
                    $"Ideal point of objective {i} is {PamaSolver.Describe(values[i])}.", nameof(values));
            }
        }

        return new IdealPoint(values.ToArray(), 0.0);
    }

    /// <summary>An ideal point fixed by the user.</summary>
    /// <param name="values">One finite value zᵢ* per objective.</param>
    /// <returns>The ideal point.</returns>
    /// <exception cref="ArgumentException">See <see cref="Given(ReadOnlySpan{double})"/>.</exception>
    public static IdealPoint Given(params double[] values) =>
        Given(new ReadOnlySpan<double>(values ?? throw new ArgumentNullException(nameof(values))));

    /// <summary>An ideal point tracked as the running maximum of the observed mean rewards plus <paramref name="margin"/>.</summary>
    /// <param name="margin">Finite and ≥ 0; weightings that divide by the shortfall need it positive.</param>
    /// <returns>The ideal point.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is negative or not finite.</exception>
    public static IdealPoint Tracked(double margin = 0.0)
    {
        if (!(margin >= 0.0 && double.IsFinite(margin)))
        {
            throw new ArgumentOutOfRangeException(nameof(margin), margin, "The margin must be finite and non-negative.");
        }

        return new IdealPoint(null, margin);
    }

    /// <summary>zᵢ* of a given ideal point.</summary>
    internal double Value(int objective) => values![objective];
}
