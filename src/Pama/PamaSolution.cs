namespace Pama;

/// <summary>
/// The answer of the PAMA scalar problem min over the probability simplex of (Σᵢ cᵢ aᵢ)²
/// (He and Maghsudi 2025, "Pareto Multi-Objective Alignment for Language Models", Theorem 1).
/// </summary>
/// <remarks>Produced by <see cref="PamaSolver.Solve(ReadOnlySpan{double})"/>; immutable.</remarks>
public sealed class PamaSolution
{
    internal PamaSolution(double value, double[] weights)
    {
        Value = value;
        Weights = Array.AsReadOnly(weights);
    }

    /// <summary>
    /// s* = Σᵢ cᵢ aᵢ at the optimum: the projection of 0 onto [minᵢ aᵢ, maxᵢ aᵢ]
    /// (minᵢ aᵢ if all statistics are positive, maxᵢ aᵢ if all are negative, 0 otherwise).
    /// </summary>
    public double Value { get; }

    /// <summary>The optimal weights c: non-negative, summing to 1, one per objective.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => Weights.Count;

    /// <summary>
    /// True when s* = 0: no objective can be improved at first order without hurting another,
    /// i.e. the batch is Pareto stationary and PAMA makes no policy update.
    /// </summary>
    public bool IsParetoStationary => Value == 0.0;

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"s* = {Value:R}, c = [{string.Join(", ", Weights.Select(w => FormattableString.Invariant($"{w:R}")))}]");
}
