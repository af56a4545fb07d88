using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// A multi-objective method as the trainer sees it: a core <see cref="IWeighting"/> that turns what it reads (Noon
/// statistics, a Gramian of per-objective gradients, the batch's mean rewards) into weights <c>c</c>, plus how the
/// per-objective advantages are prepared before the weighted sum <c>Σ_i c_i A^i</c>. The trainer's
/// <see cref="CombineStage"/> does everything else once, for every method alike: flat objectives, sums over the
/// process group, the active set, the scatter back of the weights, the combined advantage and whether the policy moves.
/// </summary>
/// <remarks>
/// <para>Implementations in the library: <see cref="PamaMethod"/> (the paper), <see cref="MorlhfMethod"/> (fixed
/// preferences), <see cref="NormalizeThenSumMethod"/> (GDPO-style), <see cref="MgdaUbMethod"/> (min-norm weights of
/// hidden-state gradients) and <see cref="WeightingMethod"/>, which wraps any core weighting (a Gramian-reading
/// aggregator over the trainable parameters, a reward-reading scalarisation, yours). A custom method is a weighting and
/// a name; it is exact under data parallelism without code of its own, because the stage gathers its inputs over the
/// whole batch.</para>
/// </remarks>
public interface IMultiObjectiveMethod
{
    /// <summary>Short display name (e.g. <c>PAMA</c>); also recorded in trainer checkpoints, so a checkpoint
    /// is only loaded by a trainer using a method of the same name.</summary>
    string Name { get; }

    /// <summary>
    /// Creates the weighting for <paramref name="objectiveCount"/> objectives; the trainer calls it once, when it is created,
    /// and keeps the instance (a stateful weighting's state lives in it and in the trainer's checkpoints).
    /// </summary>
    /// <param name="objectiveCount">Number of objectives <c>n ≥ 1</c>.</param>
    /// <returns>A new weighting (or a stateless shared one).</returns>
    /// <exception cref="ArgumentException">The method cannot combine that many objectives (e.g. preference weights of another length).</exception>
    IWeighting CreateWeighting(int objectiveCount);

    /// <summary>How the per-objective advantages are prepared before the statistics and the weighted sum (default none).</summary>
    AdvantagePreparation Preparation => AdvantagePreparation.None;

    /// <summary>Level of the statistics and weights (default <see cref="WeightingGranularity.Batch"/>); a finer level needs a
    /// weighting that reads no Gramian.</summary>
    WeightingGranularity Granularity => WeightingGranularity.Batch;

    /// <summary>Where the Gramian of the per-objective policy-loss gradients is taken, for a weighting that reads one
    /// (default <see cref="GramianSource.TrainableParameters"/>).</summary>
    GramianSource GramianSource => GramianSource.TrainableParameters;
}
