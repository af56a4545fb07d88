using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>The one advantage a method forms for a minibatch update, and how it got there.</summary>
/// <param name="Advantage">Combined advantage <c>[b, T]</c>, no gradient.</param>
/// <param name="Weights">Weights <c>c</c> of the objectives <c>[n]</c>; for per-sequence or per-token weights, their mean over the response rows or tokens.</param>
/// <param name="OptimalValue">PAMA's <c>s*</c> (mean over rows for finer granularities); <c>NaN</c> for methods without one.</param>
/// <param name="UpdatesPolicy">False when the advantage cannot move the policy (PAMA with <c>s* = 0</c> everywhere): the policy optimizer is then not stepped.</param>
/// <param name="RowWeights">Weights per row (sequence or token), row-major <c>[rows, n]</c>, for finer granularities; otherwise <c>null</c>.</param>
/// <param name="Flat">Objectives (indices) whose advantage was zero on every token of the minibatch and got weight 0
/// (see <see cref="FlatObjectives"/>); <c>null</c> when none was.</param>
/// <param name="WithoutPositiveAdvantage">For an update that leaves the policy unchanged: the objectives (indices) that had no
/// positive advantage on an unclipped token (PAMA's <c>a_i = 0</c>); otherwise <c>null</c>.</param>
public sealed record CombinedAdvantage(
    Tensor Advantage,
    IReadOnlyList<double> Weights,
    double OptimalValue,
    bool UpdatesPolicy,
    IReadOnlyList<double>? RowWeights = null,
    IReadOnlyList<int>? Flat = null,
    IReadOnlyList<int>? WithoutPositiveAdvantage = null)
{
    /// <summary>
    /// The usual result of a method with one weight vector: advantage <c>Σ_i c_i A^i_t</c>, no <c>s*</c>, the policy moves.
    /// </summary>
    /// <param name="advantages">Per-objective advantages <c>[b, T, n]</c> (the standard ones, or transformed ones such as Noon's).</param>
    /// <param name="weights">One weight per objective.</param>
    /// <exception cref="ArgumentException">The weight count differs from <c>n</c>.</exception>
    public static CombinedAdvantage Weighted(Tensor advantages, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != advantages.shape[^1])
            throw new ArgumentException($"{weights.Count} weights for {advantages.shape[^1]} objectives.", nameof(weights));
        using var noGrad = no_grad();
        Tensor c = tensor(weights.ToArray(), dtype: advantages.dtype, device: advantages.device);
        return new CombinedAdvantage((advantages.detach() * c).sum(-1), [.. weights], double.NaN, UpdatesPolicy: true);
    }
}
