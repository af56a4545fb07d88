namespace Pama.TorchSharp.Training;

/// <summary>What happened in one training step. Means over updates are over the PPO epochs × minibatches of the step.</summary>
/// <param name="Step">Number of the step (1 for the first step).</param>
/// <param name="MeanRewards">Mean reward of each objective over the step's responses.</param>
/// <param name="Weights">Weights <c>c</c> of the objectives, mean over the updates (and over rows for per-sequence or per-token weighting).</param>
/// <param name="OptimalValue">The weighting's optimal value (PAMA's <c>s*</c>, MGDA's <c>cᵀGc</c>), mean over the updates; <c>NaN</c> for weightings without one (MORLHF).</param>
/// <param name="StationaryUpdates">Updates that left the policy untouched (<see cref="StationaryDetails"/> says why).</param>
/// <param name="Updates">Minibatch updates in the step (PPO epochs × minibatches).</param>
/// <param name="PolicyUpdated">Whether the policy optimizer stepped at least once.</param>
/// <param name="Kl">Mean over responses of the summed per-token KL <c>Σ_t (log π_old − log π_ref)</c> at rollout.</param>
/// <param name="KlCoefficient">β used for this step's rewards (before the adaptive controller's update).</param>
/// <param name="ClipFraction">Fraction of response tokens whose ratio lay outside <c>[1−ε, 1+ε]</c>, mean over updates.</param>
/// <param name="PolicyLoss">Clipped-surrogate loss of the combined advantage, mean over updates.</param>
/// <param name="ValueLosses">Value loss of each head, mean over updates; empty without value heads (group-relative advantages).</param>
/// <param name="Entropy">Mean next-token entropy of the policy over the response tokens at rollout.</param>
/// <param name="ResponseTokens">Number of response tokens sampled.</param>
/// <param name="Seconds">Wall-clock duration of the step.</param>
/// <param name="WeightingSeconds">Part of <paramref name="Seconds"/> spent forming the combined advantage, summed over the
/// updates: PAMA's statistics, Theorem 1 and the weighted sum; MORLHF's weighted sum; MGDA-UB's n hidden-state
/// gradients, Gramian and min-norm solve.</param>
public sealed record StepMetrics(
    long Step,
    IReadOnlyList<double> MeanRewards,
    IReadOnlyList<double> Weights,
    double OptimalValue,
    int StationaryUpdates,
    int Updates,
    bool PolicyUpdated,
    double Kl,
    double KlCoefficient,
    double ClipFraction,
    double PolicyLoss,
    IReadOnlyList<double> ValueLosses,
    double Entropy,
    long ResponseTokens,
    double Seconds,
    double WeightingSeconds)
{
    /// <summary>
    /// The updates of this step that left the policy unchanged, each with its reason (see <see cref="StationaryUpdate"/>);
    /// empty when the policy moved in every update.
    /// </summary>
    public IReadOnlyList<StationaryUpdate> StationaryDetails { get; init; } = [];

    /// <summary>
    /// Why the policy did not move in some updates of this step, in one line (e.g. <c>policy unchanged in 4 of 4 updates: s* = 0:
    /// no positive unclipped advantage for 'no-shouting'</c>); <c>null</c> when it moved in every update.
    /// </summary>
    public string? StationaryReason => StationaryDetails.Count == 0 ? null :
        $"policy unchanged in {StationaryDetails.Count} of {Updates} updates: " + string.Join("; ", StationaryDetails
            .Select(d => d.Cause).Distinct());

    /// <summary>
    /// Each objective's statistic <c>a_i</c> (PAMA's Noon statistic on the method's prepared advantages), mean over the updates
    /// (and rows); <c>NaN</c> entries when the method's weighting reads no statistics.
    /// </summary>
    public IReadOnlyList<double> Statistics { get; init; } = [];

    /// <summary>Sampled response tokens per second of wall-clock step time.</summary>
    public double TokensPerSecond => Seconds > 0 ? ResponseTokens / Seconds : 0;
}
