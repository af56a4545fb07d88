using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// GDPO-style normalise-then-sum (group reward-decoupled normalisation, as TRL's <c>normalize_then_sum</c>): each objective's advantages are normalised over the step's whole batch,
/// <c>Â^i = (A'^i − m_i) / √(v_i + 1e-8)</c> with the masked mean and unbiased variance over every response token of
/// every rank, and then summed with fixed preference weights, <c>A_t = Σ_i w_i Â^i_t</c>. An objective with a large
/// reward scale can then no longer drown the others, as it does in a plain weighted sum.
/// </summary>
public sealed class NormalizeThenSumMethod : IMultiObjectiveMethod
{
    /// <summary>The weighted sum after the normalisation: MORLHF's preferences.</summary>
    private readonly MorlhfMethod _sum;

    /// <summary>Normalise-then-sum with equal weights <c>1/n</c>.</summary>
    public NormalizeThenSumMethod() => _sum = new MorlhfMethod();

    /// <summary>Normalise-then-sum with the given preferences (normalised to sum 1).</summary>
    /// <param name="preferences">One finite, nonnegative preference per objective, not all zero.</param>
    /// <exception cref="ArgumentException">See <see cref="PreferenceWeighting(double[])"/>; the message names the objective.</exception>
    public NormalizeThenSumMethod(params double[] preferences) => _sum = new MorlhfMethod(preferences);

    /// <inheritdoc />
    public string Name => "GDPO";

    /// <summary>The normalised preference weights, or <c>null</c> for equal weights.</summary>
    public IReadOnlyList<double>? Weights => _sum.Weights;

    /// <inheritdoc />
    public AdvantagePreparation Preparation => AdvantagePreparation.NormalizePerObjective;

    /// <inheritdoc />
    public IWeighting CreateWeighting(int objectiveCount) => _sum.CreateWeighting(objectiveCount);
}
