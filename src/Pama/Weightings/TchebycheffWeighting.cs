namespace Pama.Weightings;

/// <summary>
/// Weighted Tchebycheff scalarisation (Bowman 1976; Miettinen 1999, "Nonlinear Multiobjective Optimization",
/// section 3.4) of rewards fᵢ to maximise: minimise the worst weighted shortfall from an ideal point z*,
/// </summary>
/// <remarks>
/// <code>g(f) = maxᵢ λᵢ (zᵢ* − fᵢ),   c = e_k with k = argmaxᵢ λᵢ (zᵢ* − fᵢ),</code>
/// <para>
/// λ the preferences normalised to sum 1. c is the (normalised) subgradient of −g with respect to f: the step
/// raises only the objective that is furthest behind its ideal value, relative to its preference. Ties are
/// broken deterministically by splitting the weight evenly over the tied objectives (an element of the
/// subdifferential, and invariant under a permutation of the objectives).
/// </para>
/// <para>
/// The ideal point is given by the user or tracked (<see cref="IdealPoint.Tracked"/>): the running maximum of
/// the mean rewards seen by <see cref="Observe"/> and <see cref="ComputeWeights"/>, plus a margin. State:
/// [observed steps, running maxima (tracked only)], so with a given ideal point the state is only the step count.
/// <see cref="ComputeWeights"/> reads the input's rewards, costs
/// O(n) and allocates nothing.
/// <see cref="ComputeWeights"/> only reads the state, so concurrent calls are safe; <see cref="Observe"/> and
/// <see cref="LoadState"/> must not overlap any other call.
/// </para>
/// </remarks>
public sealed class TchebycheffWeighting : IStatefulWeighting
{
    private const string Method = "Tchebycheff";
    private readonly double[] preferences;
    private readonly IdealPointTracker tracker;

    /// <summary>Creates the weighting.</summary>
    /// <param name="preferences">One finite, non-negative preference λᵢ per objective, not all zero (normalised to sum 1).</param>
    /// <param name="idealPoint">The ideal point z*, given (one value per objective) or tracked.</param>
    /// <exception cref="ArgumentException">
    /// A preference is invalid (named by objective, see <see cref="PreferenceWeighting(ReadOnlySpan{double})"/>), or a
    /// given ideal point has a different number of objectives.
    /// </exception>
    /// <exception cref="ArgumentNullException"><paramref name="idealPoint"/> is null.</exception>
    public TchebycheffWeighting(ReadOnlySpan<double> preferences, IdealPoint idealPoint)
    {
        this.preferences = [.. new PreferenceWeighting(preferences).Weights];
        tracker = new IdealPointTracker(idealPoint, this.preferences.Length, nameof(idealPoint));
        Preferences = Array.AsReadOnly(this.preferences);
    }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => preferences.Length;

    /// <summary>The normalised preferences λ.</summary>
    public IReadOnlyList<double> Preferences { get; }

    /// <summary>The ideal point, given or tracked.</summary>
    public IdealPoint IdealPoint => tracker.IdealPoint;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Rewards;

    /// <inheritdoc />
    public int StateLength => tracker.StateLength;

    /// <summary>Writes c = e_k, k = argmaxᵢ λᵢ (zᵢ* − fᵢ) (ties split evenly), for the input's mean rewards f.</summary>
    /// <param name="input">Must carry one finite mean reward per objective.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns>The Tchebycheff value g = maxᵢ λᵢ (zᵢ* − fᵢ) = max over the simplex of Σᵢ cᵢ λᵢ (zᵢ* − fᵢ).</returns>
    /// <exception cref="ArgumentException">
    /// No rewards, a reward is NaN or ±∞ or a shortfall overflows (named by objective), or a count differs.
    /// </exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        RewardInput.CheckCounts(input, preferences.Length, weights);
        ReadOnlySpan<double> rewards = RewardInput.Read(input, preferences.Length, Method);
        double worst = double.NegativeInfinity;
        int tied = 0;
        for (int i = 0; i < rewards.Length; i++)
        {
            double shortfall = WeightedShortfall(i, rewards[i]);
            if (shortfall > worst)
            {
                worst = shortfall;
                tied = 1;
            }
            else if (shortfall == worst)
            {
                tied++;
            }
        }

        double share = 1.0 / tied;
        for (int i = 0; i < rewards.Length; i++)
        {
            weights[i] = WeightedShortfall(i, rewards[i]) == worst ? share : 0.0;
        }

        return worst;
    }

    /// <summary>Counts the step and, for a tracked ideal point, raises the running maxima to the observed rewards.</summary>
    /// <param name="input">Must carry one finite mean reward per objective.</param>
    /// <exception cref="ArgumentException">No rewards, a wrong count, or a reward is NaN or ±∞ (named by objective); nothing changes.</exception>
    public void Observe(WeightingInput input)
    {
        ReadOnlySpan<double> rewards = RewardInput.Read(input, preferences.Length, Method);
        tracker.Include(rewards);
    }

    /// <inheritdoc />
    public void SaveState(Span<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Save(state);
    }

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Validate(state, 0);
        tracker.Load(state);
    }

    private double WeightedShortfall(int objective, double reward)
    {
        double shortfall = preferences[objective] * (tracker.Ideal(objective, reward) - reward);
        if (!double.IsFinite(shortfall))
        {
            throw new ArgumentException(
                $"The shortfall of objective {objective} from its ideal point overflows (mean reward {reward}).", "input");
        }

        return shortfall;
    }
}
