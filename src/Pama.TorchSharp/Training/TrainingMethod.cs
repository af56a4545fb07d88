namespace Pama.TorchSharp.Training;

/// <summary>How the per-objective advantages are combined into the one advantage the policy is trained on.</summary>
public enum TrainingMethod
{
    /// <summary>
    /// PAMA (He and Maghsudi, ECML-PKDD 2025, arXiv 2508.07768): Noon-clipped advantages
    /// <c>A^i = max(A'^i, 0)</c>, per-objective statistics
    /// <c>a_i = mean_t A^i_t 1[u_t ≤ 1+ε]</c>, weights <c>c</c> from Theorem 1 (closed form, O(n)),
    /// advantage <c>Σ c_i A^i</c>. With one objective this is single-objective Noon PPO.
    /// </summary>
    Pama,

    /// <summary>
    /// MORLHF: fixed preference weights <c>w</c> (default equal), advantage <c>Σ w_i A'^i</c> on the
    /// standard (unclipped, possibly negative) advantages, i.e. PPO on the scalarised reward.
    /// </summary>
    Morlhf,

    /// <summary>
    /// MGDA-UB (Sener and Koltun, NeurIPS 2018): min-norm weights of the gradients of the
    /// per-objective PPO losses with respect to the last hidden states, advantage <c>Σ c_i A'^i</c>.
    /// </summary>
    MgdaUb,
}
