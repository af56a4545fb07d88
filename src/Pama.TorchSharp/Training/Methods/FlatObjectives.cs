using Pama.TorchSharp.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// Objectives whose advantage is exactly zero on every response token of a minibatch.
/// </summary>
/// <remarks>
/// <para>Such an objective's loss has a zero gradient under every weighting: the update can neither improve nor
/// hurt it at first order. Typically its reward was the same for every response (a clipped reward at its bound,
/// a constant) while the policy still equals the reference, so the KL part of its per-token reward is zero too.</para>
/// <para>Left in a min-norm problem (PAMA's Theorem 1, MGDA's min-norm point), its zero gradient is itself the
/// minimum, so the method would stop although the other objectives could improve without harming it. The
/// <see cref="CombineStage"/> therefore solves weightings that read statistics or a Gramian over the other objectives
/// and gives the flat ones weight 0; when every objective is flat there is nothing to follow and the update is
/// stationary, for every method.</para>
/// </remarks>
internal static class FlatObjectives
{
    /// <summary>For each objective, whether <c>A'^i_t = 0</c> on every masked token <c>[n]</c> (one host copy of n flags).</summary>
    /// <param name="advantages">Per-objective advantages <c>[b, T, n]</c>.</param>
    /// <param name="mask">Response mask <c>[b, T]</c>.</param>
    public static bool[] Find(Tensor advantages, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var zero = 0.0.ToScalar();
        Tensor nonzero = advantages.ne(zero).logical_and(mask.gt(zero).unsqueeze(-1));
        return HostReads.Bools(nonzero.flatten(0, 1).any(dim: 0L).logical_not());
    }

    /// <summary>Indices of the objectives that are not flat (empty when every objective is flat).</summary>
    public static int[] Active(bool[] flat) => [.. Enumerable.Range(0, flat.Length).Where(i => !flat[i])];
}
