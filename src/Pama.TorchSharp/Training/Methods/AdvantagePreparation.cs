namespace Pama.TorchSharp.Training.Methods;

/// <summary>How a method's per-objective advantages are prepared before its statistics and its weighted sum.</summary>
public enum AdvantagePreparation
{
    /// <summary>The standard advantages <c>A'^i</c>, negatives kept (MORLHF, MGDA-UB, gradient aggregators).</summary>
    None,

    /// <summary>Noon clipping <c>A^i = max(A'^i, 0)</c> on every update (PAMA).</summary>
    NoonClip,

    /// <summary>
    /// Each objective's advantages normalised over the step's whole batch, <c>(A'^i − m_i) / √(v_i + 1e-8)</c> with the masked
    /// mean and unbiased variance over all response tokens of all ranks, once per step (GDPO; TRL's <c>normalize_then_sum</c>).
    /// </summary>
    NormalizePerObjective,
}
