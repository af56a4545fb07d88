using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// MGDA-UB (Sener and Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018),
/// the paper's gradient-based baseline. For each objective the PPO loss <c>L^i</c> is formed on its
/// <b>standard</b> advantages <c>A'^i</c> (negatives kept, as in MGDA-UB applied to ordinary PPO losses; Noon
/// clipping is PAMA's ingredient, not the baseline's). Its gradient <c>g_i = ∂L^i/∂Z</c> with respect to
/// the last hidden states <c>Z</c> (not all parameters) gives the Gramian <c>G_ij = ⟨g_i, g_j⟩</c> (float64),
/// whose min-norm weights <c>c = argmin_{c ∈ Δ} cᵀGc</c> (<see cref="MgdaWeighting"/>) form the advantage
/// <c>Σ_i c_i A'^i_t</c>; one weighted backward follows. Costs n extra backward passes through the LM head.
/// For MGDA on the parameters themselves, use <see cref="WeightingMethod"/> with an <see cref="MgdaWeighting"/>.
/// </summary>
/// <param name="options">Frank-Wolfe stopping controls (defaults if <c>null</c>; only used for n &gt; 2).</param>
public sealed class MgdaUbMethod(MgdaOptions? options = null) : IMultiObjectiveMethod
{
    /// <inheritdoc />
    public string Name => "MGDA-UB";

    /// <inheritdoc />
    public GramianSource GramianSource => GramianSource.LastHiddenState;

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        return new MgdaWeighting(options);
    }
}
