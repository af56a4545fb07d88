namespace Pama.Weightings;

/// <summary>
/// FAMO, fast adaptive multitask optimisation (Liu, Feng, Stone and Liu 2023, "FAMO: Fast Adaptive Multitask
/// Optimization", NeurIPS), for rewards: a step that decreases every log-loss at a balanced rate, with weights
/// learnt from how much each log-loss actually fell, in O(n) per step and without per-objective gradients.
/// </summary>
/// <remarks>
/// <para>
/// Losses: ℓᵢ = zᵢ* − fᵢ &gt; 0, the shortfall of mean reward fᵢ from an ideal point z* (<see cref="IdealPoint"/>),
/// which plays the part of the lower bound of the loss that the authors' code subtracts (its minimum losses, 0 by
/// default). With the ideal point 0 and rewards fᵢ = −Lᵢ this is FAMO on the losses Lᵢ.
/// </para>
/// <code>
/// weights:  zᵢ = softmax(ξ)ᵢ,   cᵢ = (zᵢ / ℓᵢ) / Σⱼ (zⱼ / ℓⱼ)          (the gradient of Σᵢ zᵢ log ℓᵢ, normalised)
/// update:   δᵢ = log ℓᵢ(t−1) − log ℓᵢ(t),   gradient of ξ:  Jᵀδ = z ⊙ (δ − (zᵀδ) 1) + γξ   (J the softmax Jacobian)
///           ξ ← ξ − β · Adam(gradient)      (or ξ ← ξ − β · gradient, the paper's Algorithm 1)
/// </code>
/// <para>
/// An objective whose log-loss fell more than the z-weighted average loses logit, so the next steps favour the
/// objectives that improve slowly. In the authors' code δ compares the losses of the same batch before and after
/// the step; here, with one rollout per step, it compares the mean rewards of consecutive steps, both shortfalls
/// measured from the ideal point after the newer step (a tracked ideal point needs a positive margin).
/// </para>
/// <para>
/// Protocol: <see cref="Observe"/> with step t's rewards updates ξ from steps t−1 and t; <see cref="ComputeWeights"/>
/// then reads the input's rewards (step t's) and the logits. State: [observed steps, running maxima (tracked
/// ideal point only), ξ, Adam's first and second moments, f(t)]; Adam's step count is the number of updates,
/// observed steps − 1. <see cref="ComputeWeights"/> and <see cref="Observe"/> cost O(n) and allocate nothing.
/// <see cref="ComputeWeights"/> only reads the state, so concurrent calls are safe; <see cref="Observe"/> and
/// <see cref="LoadState"/> must not overlap any other call.
/// </para>
/// </remarks>
public sealed class FamoWeighting : IStatefulWeighting
{
    private const string Method = "FAMO";
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    private readonly IdealPointTracker tracker;
    private readonly double[] logits;
    private readonly double[] firstMoment;
    private readonly double[] secondMoment;
    private readonly double[] lastRewards;
    private readonly double[] gradient;
    private readonly double[] nextFirstMoment;
    private readonly double[] nextSecondMoment;

    /// <summary>Creates the weighting with logits ξ = 0 (uniform z).</summary>
    /// <param name="objectiveCount">Number of objectives n ≥ 1.</param>
    /// <param name="idealPoint">
    /// The ideal point z*: given (one value per objective, above every mean reward it will see) or tracked with a
    /// positive margin.
    /// </param>
    /// <param name="options">Learning rate, decay and update rule (the authors' defaults if null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// A tracked ideal point has margin 0, or a given ideal point has a different number of objectives.
    /// </exception>
    /// <exception cref="ArgumentNullException"><paramref name="idealPoint"/> is null.</exception>
    public FamoWeighting(int objectiveCount, IdealPoint idealPoint, FamoOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        ArgumentNullException.ThrowIfNull(idealPoint);
        if (idealPoint.IsTracked && idealPoint.Margin == 0.0)
        {
            throw new ArgumentException(
                "FAMO takes the logarithm of the shortfall from the ideal point; track it with a positive margin.",
                nameof(idealPoint));
        }

        tracker = new IdealPointTracker(idealPoint, objectiveCount, nameof(idealPoint));
        Options = options ?? new FamoOptions();
        logits = new double[objectiveCount];
        firstMoment = new double[objectiveCount];
        secondMoment = new double[objectiveCount];
        lastRewards = new double[objectiveCount];
        gradient = new double[objectiveCount];
        nextFirstMoment = new double[objectiveCount];
        nextSecondMoment = new double[objectiveCount];
    }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => logits.Length;

    /// <summary>The ideal point, given or tracked.</summary>
    public IdealPoint IdealPoint => tracker.IdealPoint;

    /// <summary>Learning rate, decay and update rule.</summary>
    public FamoOptions Options { get; }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Rewards;

    /// <inheritdoc />
    public int StateLength => tracker.StateLength + (4 * logits.Length);

    /// <summary>Copies the logits ξ (z = softmax(ξ)) into <paramref name="destination"/>.</summary>
    /// <param name="destination">Length n.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public void CopyLogits(Span<double> destination)
    {
        if (destination.Length != logits.Length)
        {
            throw new ArgumentException(
                $"The destination has length {destination.Length} but there are {logits.Length} objectives.", nameof(destination));
        }

        logits.CopyTo(destination);
    }

    /// <summary>Writes cᵢ ∝ softmax(ξ)ᵢ / (zᵢ* − fᵢ) for the input's mean rewards f.</summary>
    /// <param name="input">Must carry one finite mean reward per objective (below a given ideal point).</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: the weighting solves no problem of its own.</returns>
    /// <exception cref="ArgumentException">
    /// No rewards, a reward is NaN or ±∞ or not below a given ideal point, a shortfall from a tracked ideal point
    /// rounds to 0 (each named by objective), or a count differs.
    /// </exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        RewardInput.CheckCounts(input, logits.Length, weights);
        ReadOnlySpan<double> rewards = RewardInput.Read(input, logits.Length, Method);
        tracker.CheckBelowIdeal(rewards, Method, nameof(input));

        // log cᵢ = ξᵢ − log ℓᵢ + const.
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = logits[i] - Math.Log(RewardInput.PositiveShortfall(i, tracker.Ideal(i, rewards[i]), rewards[i], Method));
        }

        RewardInput.SoftmaxInPlace(weights);
        return double.NaN;
    }

    /// <summary>Updates the logits from the fall of each log-loss since the previous observed step (none at the first).</summary>
    /// <param name="input">Must carry one finite mean reward per objective (below a given ideal point).</param>
    /// <exception cref="ArgumentException">
    /// No rewards, a wrong count, a reward is NaN or ±∞ or not below a given ideal point, a shortfall rounds to 0,
    /// or the update would make a logit non-finite (each named by objective); nothing changes.
    /// </exception>
    public void Observe(WeightingInput input)
    {
        ReadOnlySpan<double> rewards = RewardInput.Read(input, logits.Length, Method);
        tracker.CheckBelowIdeal(rewards, Method, nameof(input));
        if (tracker.Observations > 0)
        {
            Update(rewards);
        }

        rewards.CopyTo(lastRewards);
        tracker.Include(rewards);
    }

    /// <inheritdoc />
    public void SaveState(Span<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Save(state);
        int n = logits.Length;
        int offset = tracker.StateLength;
        logits.CopyTo(state.Slice(offset, n));
        firstMoment.CopyTo(state.Slice(offset + n, n));
        secondMoment.CopyTo(state.Slice(offset + (2 * n), n));
        lastRewards.CopyTo(state.Slice(offset + (3 * n), n));
    }

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        tracker.Validate(state, 0);
        int n = logits.Length;
        int offset = tracker.StateLength;
        double observed = state[0];
        ReadOnlySpan<string> names = ["logit", "Adam first moment", "Adam second moment", "last mean reward"];
        for (int part = 0; part < 4; part++)
        {
            for (int i = 0; i < n; i++)
            {
                int index = offset + (part * n) + i;
                double x = state[index];
                string what = $"State entry {index} (the {names[part]} of objective {i})";
                if (!double.IsFinite(x))
                {
                    throw new ArgumentException($"{what} is {PamaSolver.Describe(x)}.", "state");
                }

                // Nothing moves before the second observed step; the moments stay 0 under plain gradient steps.
                bool untouched = part == 3 ? observed < 1 : observed < 2 || (part > 0 && !Options.UseAdam);
                if (untouched && x != 0.0)
                {
                    throw new ArgumentException($"{what} is {x} but must be 0 after {observed} observed steps.", "state");
                }

                if (part == 2 && x < 0.0)
                {
                    throw new ArgumentException($"{what} is negative ({x}).", "state");
                }

                if (part == 3 && observed >= 1 && !tracker.Admits(state, i, x))
                {
                    throw new ArgumentException(
                        $"{what} is {x}, above the running maximum or not below the given ideal point.", "state");
                }
            }
        }

        tracker.Load(state);
        state.Slice(offset, n).CopyTo(logits);
        state.Slice(offset + n, n).CopyTo(firstMoment);
        state.Slice(offset + (2 * n), n).CopyTo(secondMoment);
        state.Slice(offset + (3 * n), n).CopyTo(lastRewards);
    }

    /// <summary>One step of the logits, from the previous observed rewards to <paramref name="rewards"/>; all or nothing.</summary>
    private void Update(ReadOnlySpan<double> rewards)
    {
        int n = logits.Length;

        // δᵢ = log ℓᵢ(t−1) − log ℓᵢ(t), both from the ideal point that includes step t; kept in gradient.
        for (int i = 0; i < n; i++)
        {
            double ideal = tracker.Ideal(i, rewards[i]);
            gradient[i] = Math.Log(RewardInput.PositiveShortfall(i, ideal, lastRewards[i], Method))
                - Math.Log(RewardInput.PositiveShortfall(i, ideal, rewards[i], Method));
        }

        // Jᵀδ with J = diag(z) − zzᵀ, the (symmetric) Jacobian of the softmax, plus the decay γξ.
        double maxLogit = double.NegativeInfinity;
        foreach (double x in logits)
        {
            maxLogit = Math.Max(maxLogit, x);
        }

        double partition = 0.0;
        double weightedDelta = 0.0;
        for (int i = 0; i < n; i++)
        {
            double e = Math.Exp(logits[i] - maxLogit);
            partition += e;
            weightedDelta += e * gradient[i];
        }

        weightedDelta /= partition;
        for (int i = 0; i < n; i++)
        {
            double z = Math.Exp(logits[i] - maxLogit) / partition;
            gradient[i] = (z * (gradient[i] - weightedDelta)) + (Options.Decay * logits[i]);
        }

        // Compute every new value first and commit only if all are finite; gradient then holds the new logits.
        double step = tracker.Observations; // the number of this update, 1-based
        double correction1 = 1.0 - Math.Pow(Beta1, step);
        double correction2 = 1.0 - Math.Pow(Beta2, step);
        for (int i = 0; i < n; i++)
        {
            double g = gradient[i];
            double change = Options.LearningRate * g;
            if (Options.UseAdam)
            {
                nextFirstMoment[i] = (Beta1 * firstMoment[i]) + ((1.0 - Beta1) * g);
                nextSecondMoment[i] = (Beta2 * secondMoment[i]) + ((1.0 - Beta2) * g * g);
                change = Options.LearningRate * (nextFirstMoment[i] / correction1) / (Math.Sqrt(nextSecondMoment[i] / correction2) + Epsilon);
            }

            gradient[i] = logits[i] - change;
            if (!double.IsFinite(gradient[i]))
            {
                throw new ArgumentException($"The FAMO update of the logit of objective {i} is not finite.", "input");
            }
        }

        gradient.CopyTo(logits, 0);
        if (Options.UseAdam)
        {
            nextFirstMoment.CopyTo(firstMoment, 0);
            nextSecondMoment.CopyTo(secondMoment, 0);
        }
    }
}
