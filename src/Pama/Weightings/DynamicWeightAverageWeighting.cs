namespace Pama.Weightings;

/// <summary>
/// Dynamic weight average, DWA (Liu, Johns and Davison 2019, "End-to-End Multi-Task Learning with Attention",
/// CVPR, eq. 7), for rewards: each objective is weighted by how slowly its loss has been falling,
/// </summary>
/// <remarks>
/// <code>cᵢ(t) = exp(rᵢ(t−1)/T) / Σⱼ exp(rⱼ(t−1)/T),   rᵢ(t−1) = ℓᵢ(t−1) / ℓᵢ(t−2),   ℓᵢ(s) = zᵢ* − fᵢ(s),</code>
/// <para>
/// the paper's weights n·exp(rᵢ/T)/Σⱼ exp(rⱼ/T) divided by n, so that they lie on the simplex. The paper's losses
/// are positive and fall as training succeeds; rewards have any sign and rise, so the loss analogue is the
/// shortfall ℓᵢ = zᵢ* − fᵢ &gt; 0 from an ideal point z* (<see cref="IdealPoint"/>): a given upper bound, or the
/// running maximum of the observed mean rewards plus a positive margin. With the ideal point 0 and rewards
/// fᵢ = −Lᵢ for losses Lᵢ &gt; 0 this is exactly the paper's DWA. Both shortfalls of the ratio are measured from the
/// current ideal point, so a tracked ideal point that moves rescales them alike.
/// </para>
/// <para>
/// As in the paper, the weights of step t use the mean rewards of steps t−1 and t−2 (the paper averages each
/// loss over an epoch; here a step's batch mean reward plays that part) and are uniform for the first two steps.
/// Protocol: <see cref="Observe"/> with step t's rewards, then <see cref="ComputeWeights"/>, which reads only the
/// state. State: [observed steps, running maxima (tracked ideal point only), f(t), f(t−1), f(t−2)].
/// <see cref="ComputeWeights"/> costs O(n) and allocates nothing.
/// <see cref="ComputeWeights"/> only reads the state, so concurrent calls are safe; <see cref="Observe"/> and
/// <see cref="LoadState"/> must not overlap any other call.
/// </para>
/// </remarks>
public sealed class DynamicWeightAverageWeighting : IStatefulWeighting
{
    private const string Method = "Dynamic weight average";
    private readonly IdealPointTracker tracker;
    private readonly double[] current;
    private readonly double[] previous;
    private readonly double[] beforePrevious;

    /// <summary>Creates the weighting.</summary>
    /// <param name="objectiveCount">Number of objectives n ≥ 1.</param>
    /// <param name="idealPoint">
    /// The ideal point z*: given (one value per objective, above every mean reward it will see) or tracked with a
    /// positive margin.
    /// </param>
    /// <param name="options">The temperature (defaults if null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// A tracked ideal point has margin 0 (the latest best reward would have shortfall 0), or a given ideal point
    /// has a different number of objectives.
    /// </exception>
    /// <exception cref="ArgumentNullException"><paramref name="idealPoint"/> is null.</exception>
    public DynamicWeightAverageWeighting(int objectiveCount, IdealPoint idealPoint, DynamicWeightAverageOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        ArgumentNullException.ThrowIfNull(idealPoint);
        if (idealPoint.IsTracked && idealPoint.Margin == 0.0)
        {
            throw new ArgumentException(
                "Dynamic weight average divides by the shortfall from the ideal point; track it with a positive margin.",
                nameof(idealPoint));
        }

        tracker = new IdealPointTracker(idealPoint, objectiveCount, nameof(idealPoint));
        Options = options ?? new DynamicWeightAverageOptions();
        current = new double[objectiveCount];
        previous = new double[objectiveCount];
        beforePrevious = new double[objectiveCount];
    }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => current.Length;

    /// <summary>The ideal point, given or tracked.</summary>
    public IdealPoint IdealPoint => tracker.IdealPoint;

    /// <summary>The temperature.</summary>
    public DynamicWeightAverageOptions Options { get; }

    /// <summary>Reads <see cref="WeightingInput.Rewards"/> in <see cref="Observe"/>; <see cref="ComputeWeights"/> needs only the count.</summary>
    public WeightingInputs Reads => WeightingInputs.Rewards;

    /// <inheritdoc />
    public int StateLength => tracker.StateLength + (3 * current.Length);

    /// <summary>Writes DWA's weights for the current step from the two preceding observed steps (uniform before that).</summary>
    /// <param name="input">Its objective count must be n; rewards, if any, are not read.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: DWA solves no problem of its own.</returns>
    /// <exception cref="ArgumentException">
    /// The objective count or the length of <paramref name="weights"/> differs, or a shortfall from a tracked ideal
    /// point rounds to 0 because the margin is negligible against the rewards (named by objective).
    /// </exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        RewardInput.CheckCounts(input, current.Length, weights);
        if (tracker.Observations < 3)
        {
            weights.Fill(1.0 / weights.Length);
            return double.NaN;
        }

        for (int i = 0; i < weights.Length; i++)
        {
            double ideal = tracker.Ideal(i);
            double ratio = RewardInput.PositiveShortfall(i, ideal, previous[i], Method)
                / RewardInput.PositiveShortfall(i, ideal, beforePrevious[i], Method);
            weights[i] = ratio / Options.Temperature;
        }

        RewardInput.SoftmaxInPlace(weights);
        return double.NaN;
    }

    /// <summary>Shifts the reward history by one step and, for a tracked ideal point, raises the running maxima.</summary>
    /// <param name="input">Must carry one finite mean reward per objective (below a given ideal point).</param>
    /// <exception cref="ArgumentException">
    /// No rewards, a wrong count, a reward is NaN or ±∞, or a reward is not below a given ideal point (named by
    /// objective); nothing changes.
    /// </exception>
    public void Observe(WeightingInput input)
    {
        ReadOnlySpan<double> rewards = RewardInput.Read(input, current.Length, Method);
        tracker.CheckBelowIdeal(rewards, Method, nameof(input));
        previous.CopyTo(beforePrevious, 0);
        current.CopyTo(previous, 0);
        rewards.CopyTo(current);
        tracker.Include(rewards);
    }

    /// <inheritdoc />
    public void SaveState(Span<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Save(state);
        int offset = tracker.StateLength;
        int n = current.Length;
        current.CopyTo(state.Slice(offset, n));
        previous.CopyTo(state.Slice(offset + n, n));
        beforePrevious.CopyTo(state.Slice(offset + (2 * n), n));
    }

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Validate(state, 0);
        int offset = tracker.StateLength;
        int n = current.Length;
        double observed = state[0];
        ReadOnlySpan<string> names = ["f(t)", "f(t−1)", "f(t−2)"];
        for (int lag = 0; lag < 3; lag++)
        {
            for (int i = 0; i < n; i++)
            {
                int index = offset + (lag * n) + i;
                double x = state[index];
                if (!double.IsFinite(x))
                {
                    throw new ArgumentException(
                        $"State entry {index} (the mean reward {names[lag]} of objective {i}) is {PamaSolver.Describe(x)}.", "state");
                }

                if (observed <= lag && x != 0.0)
                {
                    throw new ArgumentException(
                        $"State entry {index} (the mean reward {names[lag]} of objective {i}) is {x} but only {observed} steps were observed; it must be 0.",
                        "state");
                }

                if (observed > lag && !tracker.Admits(state, i, x))
                {
                    throw new ArgumentException(
                        $"State entry {index} (the mean reward {names[lag]} of objective {i}) is {x}, above the running maximum or not below the given ideal point.",
                        "state");
                }
            }
        }

        tracker.Load(state);
        state.Slice(offset, n).CopyTo(current);
        state.Slice(offset + n, n).CopyTo(previous);
        state.Slice(offset + (2 * n), n).CopyTo(beforePrevious);
    }
}
