using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>The one advantage the <see cref="CombineStage"/> forms for a minibatch update, and how it got there.</summary>
/// <param name="Advantage">Combined advantage <c>[b, T]</c>, no gradient.</param>
/// <param name="Weights">Weights <c>c</c> of the objectives <c>[n]</c>; for per-sequence or per-token weights, their mean over the response rows or tokens of the whole minibatch.</param>
/// <param name="OptimalValue">The weighting's optimal value (PAMA's <c>s*</c>, MGDA's <c>cᵀGc</c>; mean over rows for finer granularities); <c>NaN</c> for weightings without one.</param>
/// <param name="UpdatesPolicy">False when the advantage cannot move the policy (see <see cref="StationaryCause"/>): the policy optimizer is then not stepped.</param>
/// <param name="RowWeights">Weights per row (sequence or token), row-major <c>[rows, n]</c>, for finer granularities; otherwise <c>null</c>.</param>
/// <param name="Flat">Objectives (indices) whose advantage was zero on every token of the minibatch on every rank; <c>null</c> when none was.</param>
/// <param name="WithoutPositiveAdvantage">For an update that leaves the policy unchanged: the objectives (indices) whose statistic
/// was 0 (with Noon clipping: no positive advantage on an unclipped token); otherwise <c>null</c>.</param>
public sealed record CombinedAdvantage(
    Tensor Advantage,
    IReadOnlyList<double> Weights,
    double OptimalValue,
    bool UpdatesPolicy,
    IReadOnlyList<double>? RowWeights = null,
    IReadOnlyList<int>? Flat = null,
    IReadOnlyList<int>? WithoutPositiveAdvantage = null)
{
    /// <summary>Each objective's statistic <c>a_i</c> over the whole minibatch (mean over rows for finer granularities), or
    /// <c>null</c> when the weighting reads none.</summary>
    public IReadOnlyList<double>? Statistics { get; init; }

    /// <summary>Why the policy does not move, in a few words (naming the objectives); <c>null</c> when it moves.</summary>
    public string? StationaryCause { get; init; }
}
