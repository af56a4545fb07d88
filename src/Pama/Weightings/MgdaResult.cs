namespace Pama.Weightings;

/// <summary>Diagnostics of one <see cref="MgdaWeighting.Solve"/> call.</summary>
/// <param name="Value">cᵀGc at the returned weights: the squared norm ‖Σᵢ cᵢ ∇Lᵢ‖² of the combined gradient.</param>
/// <param name="Gap">
/// Final Frank-Wolfe duality gap cᵀGc − minᵢ (Gc)ᵢ in the units of G (0 up to rounding for the closed forms);
/// cᵀGc − min_{c∈Δ} cᵀGc ≤ 2 · Gap; the stopping rule bounds it by <see cref="MgdaOptions.Tolerance"/> · Value.
/// </param>
/// <param name="Iterations">Frank-Wolfe iterations run (0 for the closed forms n ≤ 2 and for G = 0).</param>
/// <param name="Converged">True if the stopping rule was met (always for n ≤ 2); false if the iteration cap was hit.</param>
public readonly record struct MgdaResult(double Value, double Gap, int Iterations, bool Converged);
