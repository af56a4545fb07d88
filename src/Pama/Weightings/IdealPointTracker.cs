namespace Pama.Weightings;

/// <summary>
/// The part of a reward-reading weighting's state that every such weighting shares: the number of observed
/// steps and, for a tracked <see cref="IdealPoint"/>, the running maximum of each objective's observed mean reward.
/// State layout: [observed steps, max f₀, …, max fₙ₋₁] (the maxima only when tracked; all 0 before the first step).
/// </summary>
internal sealed class IdealPointTracker
{
    // Integers up to 2⁵³ round-trip exactly through a double.
    private const double MaxCount = 9007199254740992.0;

    private readonly IdealPoint idealPoint;
    private readonly double[]? maxima;

    public IdealPointTracker(IdealPoint idealPoint, int objectiveCount, string idealPointName)
    {
        ArgumentNullException.ThrowIfNull(idealPoint, idealPointName);
        if (!idealPoint.IsTracked && idealPoint.ObjectiveCount != objectiveCount)
        {
            throw new ArgumentException(
                $"The ideal point has {idealPoint.ObjectiveCount} values but there are {objectiveCount} objectives.",
                idealPointName);
        }

        this.idealPoint = idealPoint;
        ObjectiveCount = objectiveCount;
        maxima = idealPoint.IsTracked ? new double[objectiveCount] : null;
    }

    public IdealPoint IdealPoint => idealPoint;

    public int ObjectiveCount { get; }

    /// <summary>Number of steps observed so far.</summary>
    public long Observations { get; private set; }

    public int StateLength => 1 + (maxima?.Length ?? 0);

    /// <summary>
    /// zᵢ* for an evaluation of mean reward <paramref name="reward"/> of objective <paramref name="objective"/>:
    /// the given value, or max(running maximum, reward) + margin when tracked.
    /// </summary>
    public double Ideal(int objective, double reward)
    {
        if (maxima is null)
        {
            return idealPoint.Value(objective);
        }

        double best = Observations > 0 ? Math.Max(maxima[objective], reward) : reward;
        return best + idealPoint.Margin;
    }

    /// <summary>zᵢ* from the observed steps only (at least one observed step when tracked).</summary>
    public double Ideal(int objective) =>
        maxima is null ? idealPoint.Value(objective) : maxima[objective] + idealPoint.Margin;

    /// <summary>
    /// Throws if a reward is not strictly below a given ideal point, for weightings that take the logarithm of or
    /// divide by the shortfall zᵢ* − fᵢ (a tracked ideal point with a positive margin never fails this).
    /// </summary>
    public void CheckBelowIdeal(ReadOnlySpan<double> rewards, string method, string parameterName)
    {
        if (maxima is not null)
        {
            return;
        }

        for (int i = 0; i < rewards.Length; i++)
        {
            if (!(rewards[i] < idealPoint.Value(i)))
            {
                throw new ArgumentException(
                    $"Mean reward of objective {i} ({rewards[i]}) is not below its ideal point ({idealPoint.Value(i)}); " +
                    $"{method} needs a positive shortfall zᵢ* − fᵢ (raise the ideal point or track it with a positive margin).",
                    parameterName);
            }
        }
    }

    /// <summary>Counts one more observed step and raises the running maxima to <paramref name="rewards"/> (validated).</summary>
    public void Include(ReadOnlySpan<double> rewards)
    {
        if (maxima is not null)
        {
            for (int i = 0; i < maxima.Length; i++)
            {
                maxima[i] = Observations == 0 ? rewards[i] : Math.Max(maxima[i], rewards[i]);
            }
        }

        Observations++;
    }

    public void Save(Span<double> state)
    {
        state[0] = Observations;
        maxima?.CopyTo(state[1..]);
    }

    /// <summary>Validates the tracker's part of a state; entry indices in messages are offset by <paramref name="offset"/>.</summary>
    public void Validate(ReadOnlySpan<double> state, int offset)
    {
        double count = state[0];
        if (!(count >= 0.0 && count <= MaxCount && Math.Floor(count) == count))
        {
            throw new ArgumentException(
                $"State entry {offset} (the number of observed steps) is {count}; it must be a whole number ≥ 0.", "state");
        }

        if (maxima is null)
        {
            return;
        }

        for (int i = 0; i < maxima.Length; i++)
        {
            double x = state[1 + i];
            if (!double.IsFinite(x))
            {
                throw new ArgumentException(
                    $"State entry {offset + 1 + i} (the running maximum reward of objective {i}) is {PamaSolver.Describe(x)}.",
                    "state");
            }

            if (count == 0.0 && x != 0.0)
            {
                throw new ArgumentException(
                    $"State entry {offset + 1 + i} (the running maximum reward of objective {i}) is {x} but no step was observed; it must be 0.",
                    "state");
            }
        }
    }

    /// <summary>
    /// Whether a stored mean reward of objective <paramref name="objective"/> is consistent with a tracker state
    /// (accepted by <see cref="Validate"/>): at most the running maximum, or below a given ideal point.
    /// </summary>
    public bool Admits(ReadOnlySpan<double> state, int objective, double reward) =>
        maxima is null ? reward < idealPoint.Value(objective) : reward <= state[1 + objective];

    /// <summary>Loads a state already accepted by <see cref="Validate"/>.</summary>
    public void Load(ReadOnlySpan<double> state)
    {
        Observations = (long)state[0];
        if (maxima is not null)
        {
            state.Slice(1, maxima.Length).CopyTo(maxima);
        }
    }
}
