using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// What an <see cref="IWeighting"/> may use about n objectives: per-objective scalar statistics aᵢ
/// (PAMA), the n × n Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ of per-objective gradients (MGDA and the gradient
/// aggregators), each objective's mean reward (Tchebycheff, dynamic and constrained methods), or only
/// the count n (fixed preferences). Immutable.
/// </summary>
public readonly struct WeightingInput
{
    private WeightingInput(int objectiveCount, ReadOnlyMemory<double> statistics, Matrix<double>? gramian, ReadOnlyMemory<double> rewards)
    {
        ObjectiveCount = objectiveCount;
        Statistics = statistics;
        Gramian = gramian;
        Rewards = rewards;
    }

    /// <summary>Number of objectives n (0 only for <c>default(WeightingInput)</c>).</summary>
    public int ObjectiveCount { get; }

    /// <summary>One statistic aᵢ per objective, or empty when not provided.</summary>
    public ReadOnlyMemory<double> Statistics { get; }

    /// <summary>The n × n Gramian of per-objective gradients, or null when not provided.</summary>
    public Matrix<double>? Gramian { get; }

    /// <summary>Each objective's mean reward over the batch (higher is better), or empty when not provided.</summary>
    public ReadOnlyMemory<double> Rewards { get; }

    /// <summary>Input carrying only the objective count (enough for <see cref="PreferenceWeighting"/>).</summary>
    /// <param name="objectiveCount">n ≥ 1.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    public static WeightingInput FromObjectiveCount(int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        return new WeightingInput(objectiveCount, ReadOnlyMemory<double>.Empty, null, ReadOnlyMemory<double>.Empty);
    }

    /// <summary>Input carrying per-objective statistics aᵢ (see <see cref="Statistics.NoonStatistic"/>).</summary>
    /// <param name="statistics">One statistic per objective (n ≥ 1); validated by the weighting that reads it.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException"><paramref name="statistics"/> is empty.</exception>
    public static WeightingInput FromStatistics(ReadOnlyMemory<double> statistics) => Create(statistics, null);

    /// <summary>Input carrying the Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ (see <see cref="MgdaWeighting.Gramian(ReadOnlySpan{double}, int)"/>).</summary>
    /// <param name="gramian">A square n × n matrix (n ≥ 1); validated by the weighting that reads it.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException"><paramref name="gramian"/> is not square.</exception>
    public static WeightingInput FromGramian(Matrix<double> gramian)
    {
        ArgumentNullException.ThrowIfNull(gramian);
        return Create(ReadOnlyMemory<double>.Empty, gramian);
    }

    /// <summary>Input carrying each objective's mean reward over the batch.</summary>
    /// <param name="rewards">One mean reward per objective (n ≥ 1); validated by the weighting that reads it.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException"><paramref name="rewards"/> is empty.</exception>
    public static WeightingInput FromRewards(ReadOnlyMemory<double> rewards) => Create(ReadOnlyMemory<double>.Empty, null, rewards);

    /// <summary>Input carrying statistics, a Gramian and/or rewards that describe the same n objectives.</summary>
    /// <param name="statistics">One statistic per objective, or empty.</param>
    /// <param name="gramian">A square n × n Gramian, or null.</param>
    /// <param name="rewards">One mean reward per objective, or empty.</param>
    /// <returns>The input.</returns>
    /// <exception cref="ArgumentException">Nothing is given, the Gramian is not square, or the counts disagree.</exception>
    public static WeightingInput Create(ReadOnlyMemory<double> statistics, Matrix<double>? gramian, ReadOnlyMemory<double> rewards = default)
    {
        if (gramian is not null && gramian.RowCount != gramian.ColumnCount)
        {
            throw new ArgumentException(
                $"The Gramian must be square; it is {gramian.RowCount} × {gramian.ColumnCount}.", nameof(gramian));
        }

        if (statistics.IsEmpty && gramian is null && rewards.IsEmpty)
        {
            throw new ArgumentException("Provide per-objective statistics, a Gramian or rewards.", nameof(statistics));
        }

        if (!statistics.IsEmpty && !rewards.IsEmpty && statistics.Length != rewards.Length)
        {
            throw new ArgumentException(
                $"There are {statistics.Length} statistics but {rewards.Length} rewards.", nameof(rewards));
        }

        if (!rewards.IsEmpty && gramian is not null && gramian.RowCount != rewards.Length)
        {
            throw new ArgumentException(
                $"The Gramian is {gramian.RowCount} × {gramian.RowCount} but there are {rewards.Length} rewards.",
                nameof(gramian));
        }

        if (!statistics.IsEmpty && gramian is not null && gramian.RowCount != statistics.Length)
        {
            throw new ArgumentException(
                $"The Gramian is {gramian.RowCount} × {gramian.RowCount} but there are {statistics.Length} statistics.",
                nameof(gramian));
        }

        int n = !statistics.IsEmpty ? statistics.Length : gramian is not null ? gramian.RowCount : rewards.Length;
        if (n == 0)
        {
            throw new ArgumentException("The Gramian is 0 × 0: at least one objective is required.", nameof(gramian));
        }

        return new WeightingInput(n, statistics, gramian, rewards);
    }
}
