namespace Pama.Weightings;

/// <summary>
/// A weighting maps what is known about n objectives to n weights cᵢ; the training step then combines
/// per-objective advantages (or losses, or gradients) as Σᵢ cᵢ Aᵢ. This is the single seam between
/// multi-objective methods, in the spirit of the "weighting" abstraction of TorchJD's aggregation package.
/// </summary>
/// <remarks>
/// Implementations read the parts of <see cref="WeightingInput"/> they declare in <see cref="Reads"/>
/// (statistics, a Gramian, rewards) and throw <see cref="ArgumentException"/> if they are missing.
/// Statistics-based methods return simplex weights (cᵢ ≥ 0, Σᵢ cᵢ = 1); some gradient aggregators
/// (e.g. UPGrad, PCGrad) return weights that are not normalised, as their papers define them.
/// </remarks>
public interface IWeighting
{
    /// <summary>What this weighting reads from <see cref="WeightingInput"/>, so a caller gathers only that.</summary>
    WeightingInputs Reads { get; }

    /// <summary>Writes the weights for <paramref name="input"/> into <paramref name="weights"/>.</summary>
    /// <param name="input">Per-objective information (statistics, Gramian, rewards, or just the objective count).</param>
    /// <param name="weights">Receives n weights; length must be <see cref="WeightingInput.ObjectiveCount"/>.</param>
    /// <returns>The optimal value of the problem the weighting solves where it has one (PAMA's s*, MGDA's cᵀGc),
    /// otherwise <see cref="double.NaN"/>.</returns>
    /// <exception cref="ArgumentException">The input lacks what this weighting needs, or a length does not match.</exception>
    double ComputeWeights(WeightingInput input, Span<double> weights);

    /// <summary>
    /// Tells the weighting what was observed of one training step's whole batch, once per step and before that
    /// step's <see cref="ComputeWeights"/> calls. Stateless weightings ignore it (this default does nothing);
    /// stateful ones (<see cref="IStatefulWeighting"/>) advance their state once per step.
    /// </summary>
    /// <param name="input">What was observed of the step's whole batch; carries at least <see cref="WeightingInput.Rewards"/>
    /// when the caller has rewards, or the Gramian when the weighting reads one.</param>
    /// <exception cref="ArgumentException">The input lacks what the weighting reads, or holds a non-finite value (named by objective).</exception>
    void Observe(WeightingInput input)
    {
    }
}
