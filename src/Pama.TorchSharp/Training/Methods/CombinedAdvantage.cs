using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>The one advantage a method forms for a minibatch update, and how it got there.</summary>
/// <param name="Advantage">Combined advantage <c>[b, T]</c>, no gradient.</param>
/// <param name="Weights">Weights <c>c</c> of the objectives <c>[n]</c>; for per-sequence or per-token weights, their mean over the response rows or tokens.</param>
/// <param name="OptimalValue">PAMA's <c>s*</c> (mean over rows for finer granularities); <c>NaN</c> for methods without one.</param>
/// <param name="UpdatesPolicy">False when the advantage cannot move the policy (PAMA with <c>s* = 0</c> everywhere): the policy optimizer is then not stepped.</param>
/// <param name="RowWeights">Weights per row (sequence or token), row-major <c>[rows, n]</c>, for finer granularities; otherwise <c>null</c>.</param>
/// <param name="Flat">Objectives whose advantage was zero on every token of the minibatch and got weight 0
/// (<see cref="FlatObjectives"/>); <c>null</c> when none was.</param>
/// <param name="WithoutPositiveAdvantage">For a stationary PAMA update: the objectives whose statistic <c>a_i</c> was 0,
/// i.e. with no positive advantage on an unclipped token; otherwise <c>null</c>.</param>
internal sealed record CombinedAdvantage(
    Tensor Advantage,
    double[] Weights,
    double OptimalValue,
    bool UpdatesPolicy,
    double[]? RowWeights = null,
    int[]? Flat = null,
    int[]? WithoutPositiveAdvantage = null);
