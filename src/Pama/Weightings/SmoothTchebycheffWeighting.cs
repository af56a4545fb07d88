namespace Pama.Weightings;

/// <summary>
/// Smooth Tchebycheff scalarisation (Lin, Zhang, Yang, Liu, Wang and Zhang 2024, "Smooth Tchebycheff
/// Scalarization for Multi-Objective Optimization", ICML) of rewards fᵢ to maximise, against an ideal point z*:
/// </summary>
/// <remarks>
/// <code>g_μ(f) = μ · log Σᵢ exp(λᵢ (zᵢ* − fᵢ) / μ),   cᵢ = λᵢ sᵢ / Σⱼ λⱼ sⱼ,   s = softmax(λ ⊙ (z* − f) / μ).</code>
/// <para>
/// −∂g_μ/∂fᵢ = λᵢ sᵢ, so c is the gradient of the smoothed worst shortfall, normalised to the simplex (the
/// dropped factor Σⱼ λⱼ sⱼ only rescales the step, like the learning rate). As μ → 0, s tends to the indicator of
/// argmaxᵢ λᵢ (zᵢ* − fᵢ) and c to the Tchebycheff weights (<see cref="TchebycheffWeighting"/>); g_μ lies within
/// μ·log n above the Tchebycheff value. λ are the preferences normalised to sum 1; μ is in reward units.
/// </para>
/// <para>
/// Computed in log space (log λᵢ + (dᵢ − max d)/μ, then a shifted softmax), so no exponential overflows for
/// any μ &gt; 0. The ideal point is given or tracked as in <see cref="TchebycheffWeighting"/>, with the same state
/// [observed steps, running maxima (tracked only)]. <see cref="ComputeWeights"/> costs O(n) and allocates nothing.
/// <see cref="ComputeWeights"/> only reads the state, so concurrent calls are safe; <see cref="Observe"/> and
/// <see cref="LoadState"/> must not overlap any other call.
/// </para>
/// </remarks>
public sealed class SmoothTchebycheffWeighting : IStatefulWeighting
{
    private const string Method = "Smooth Tchebycheff";
    private readonly double[] preferences;
    private readonly IdealPointTracker tracker;

    /// <summary>Creates the weighting.</summary>
    /// <param name="preferences">One finite, non-negative preference λᵢ per objective, not all zero (normalised to sum 1).</param>
    /// <param name="idealPoint">The ideal point z*, given (one value per objective) or tracked.</param>
    /// <param name="smoothing">The smoothing parameter μ &gt; 0 (finite), in reward units; smaller is closer to Tchebycheff.</param>
    /// <exception cref="ArgumentException">
    /// A preference is invalid (named by objective), or a given ideal point has a different number of objectives.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="smoothing"/> is not positive and finite.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="idealPoint"/> is null.</exception>
    public SmoothTchebycheffWeighting(ReadOnlySpan<double> preferences, IdealPoint idealPoint, double smoothing)
    {
        if (!(smoothing > 0.0 && double.IsFinite(smoothing)))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing μ must be positive and finite.");
        }

        this.preferences = [.. new PreferenceWeighting(preferences).Weights];
        tracker = new IdealPointTracker(idealPoint, this.preferences.Length, nameof(idealPoint));
        Preferences = Array.AsReadOnly(this.preferences);
        Smoothing = smoothing;
    }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => preferences.Length;

    /// <summary>The normalised preferences λ.</summary>
    public IReadOnlyList<double> Preferences { get; }

    /// <summary>The smoothing parameter μ.</summary>
    public double Smoothing { get; }

    /// <summary>The ideal point, given or tracked.</summary>
    public IdealPoint IdealPoint => tracker.IdealPoint;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Rewards;

    /// <inheritdoc />
    public int StateLength => tracker.StateLength;

    /// <summary>Writes cᵢ = λᵢ sᵢ / Σⱼ λⱼ sⱼ for the input's mean rewards f.</summary>
    /// <param name="input">Must carry one finite mean reward per objective.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns>
    /// The smoothed value g_μ = μ log Σᵢ exp(λᵢ (zᵢ* − fᵢ) / μ), the optimal value of max over the simplex of
    /// Σᵢ qᵢ λᵢ (zᵢ* − fᵢ) + μ H(q) (H the entropy).
    /// </returns>
    /// <exception cref="ArgumentException">
    /// No rewards, a reward is NaN or ±∞ or a shortfall overflows (named by objective), or a count differs.
    /// </exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        RewardInput.CheckCounts(input, preferences.Length, weights);
        ReadOnlySpan<double> rewards = RewardInput.Read(input, preferences.Length, Method);

        // weights temporarily hold the weighted shortfalls dᵢ = λᵢ (zᵢ* − fᵢ).
        double largest = double.NegativeInfinity;
        double largestWeighted = double.NegativeInfinity;
        for (int i = 0; i < rewards.Length; i++)
        {
            double d = preferences[i] * (tracker.Ideal(i, rewards[i]) - rewards[i]);
            if (!double.IsFinite(d))
            {
                throw new ArgumentException(
                    $"The shortfall of objective {i} from its ideal point overflows (mean reward {rewards[i]}).", nameof(input));
            }

            weights[i] = d;
            largest = Math.Max(largest, d);
            if (preferences[i] > 0.0)
            {
                largestWeighted = Math.Max(largestWeighted, d);
            }
        }

        // g_μ = max d + μ log Σᵢ exp((dᵢ − max d)/μ): every exponent ≤ 0.
        double sum = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            sum += Math.Exp((weights[i] - largest) / Smoothing);
        }

        double value = largest + (Smoothing * Math.Log(sum));

        // log cᵢ = log λᵢ + dᵢ/μ + const; shifting by the largest dᵢ with λᵢ > 0 keeps that term finite.
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = preferences[i] > 0.0
                ? Math.Log(preferences[i]) + ((weights[i] - largestWeighted) / Smoothing)
                : double.NegativeInfinity;
        }

        RewardInput.SoftmaxInPlace(weights);
        return value;
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
}
