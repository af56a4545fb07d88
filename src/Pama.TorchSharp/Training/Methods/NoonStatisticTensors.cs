using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// PAMA's per-objective statistics on tensors: with Noon advantages <c>A^i_t = max(A'^i_t, 0)</c> and the
/// unclipped-token indicator <c>1[u_t ≤ 1+ε]</c>, the token statistic is <c>I^i_t = A^i_t 1[u_t ≤ 1+ε]</c>
/// (the coefficient of <c>∇u_t</c> in <c>∇L^i</c>). All results are float64. The <see cref="CombineStage"/> forms
/// the same statistic on any method's prepared advantages (Noon-clipped for PAMA).
/// </summary>
internal static class NoonStatisticTensors
{
    /// <summary>Noon clipping <c>max(A', 0)</c>.</summary>
    public static Tensor Clip(Tensor advantages)
    {
        using var zero = 0.0.ToScalar();
        return advantages.clamp_min(zero);
    }

    /// <summary>Token statistics <c>I^i_t</c> <c>[b, T, n]</c> (zero on padding), float64.</summary>
    public static Tensor PerToken(Tensor advantages, Tensor ratio, Tensor mask, double epsilon)
    {
        using var bound = (1.0 + epsilon).ToScalar();
        Tensor unclipped = ratio.le(bound).to(ScalarType.Float64) * mask.to(ScalarType.Float64);
        return advantages.to(ScalarType.Float64) * unclipped.unsqueeze(-1);
    }

    /// <summary>
    /// The two sums of the paper's statistic <c>a_i = Σ_{b,t} I^i_{b,t} / Σ_{b,t} mask</c>, as <c>[n + 1]</c>: the <c>n</c>
    /// numerators, then the token count (kept apart so that ranks of a data-parallel run can add them up before dividing).
    /// </summary>
    public static Tensor PerBatchSums(Tensor tokenStatistics, Tensor mask) =>
        cat([tokenStatistics.sum([0, 1]), mask.to(ScalarType.Float64).sum().reshape(1)]);

    /// <summary>Per-response statistics <c>a_{b,i} = Σ_t I^i_{b,t} / Σ_t mask_{b,t}</c> <c>[b, n]</c> (our extension).</summary>
    public static Tensor PerSequence(Tensor tokenStatistics, Tensor mask)
    {
        using var one = 1.0.ToScalar();
        return tokenStatistics.sum(1) / mask.to(ScalarType.Float64).sum(1, keepdim: true).clamp_min(one);
    }
}
