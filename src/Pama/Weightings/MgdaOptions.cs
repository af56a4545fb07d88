namespace Pama.Weightings;

/// <summary>Stopping controls of the Frank-Wolfe solver used by <see cref="MgdaWeighting"/> for n &gt; 2 objectives.</summary>
public sealed record MgdaOptions
{
    private readonly double tolerance = 1e-12;
    private readonly int maxIterations = 10_000;

    /// <summary>
    /// Stop when the Frank-Wolfe duality gap, cᵀGc − minᵢ (Gc)ᵢ, is at most this value times cᵀGc = ‖d‖² (relative,
    /// so it means the same at any gradient scale): then ∇Lᵢ·d ≥ ‖d‖²(1 − Tolerance) for every i and
    /// cᵀGc ≤ (1 + 2 · Tolerance) · min_{c∈Δ} cᵀGc. The solver also stops when the gap is within the rounding of Gc.
    /// Default 1e-12; must be finite and ≥ 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative or not finite.</exception>
    public double Tolerance
    {
        get => tolerance;
        init => tolerance = value >= 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Tolerance), value, "The tolerance must be finite and non-negative.");
    }

    /// <summary>Iteration cap of the Frank-Wolfe loop (default 10,000; must be ≥ 1). Each iteration costs O(n²).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int MaxIterations
    {
        get => maxIterations;
        init => maxIterations = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxIterations), value, "At least one iteration is required.");
    }
}
