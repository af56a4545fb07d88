namespace Pama.Weightings;

/// <summary>
/// The state of a randomised weighting: the number of training steps observed. Saved as one double, exact up
/// to 2⁵³ steps.
/// </summary>
internal sealed class StepCounter
{
    /// <summary>Steps observed so far.</summary>
    public long Step { get; private set; }

    /// <summary>Advances by one step.</summary>
    public void Advance() => Step++;

    /// <summary>Writes the step count into a state of length 1.</summary>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public void Save(Span<double> state)
    {
        if (state.Length != 1)
        {
            throw new ArgumentException($"The state has length {state.Length}; this weighting's state has length 1.", nameof(state));
        }

        state[0] = Step;
    }

    /// <summary>Reads the step count from a state of length 1 (a non-negative whole number below 2⁵³).</summary>
    /// <exception cref="ArgumentException">Wrong length or an invalid entry (nothing changes).</exception>
    public void Load(ReadOnlySpan<double> state)
    {
        if (state.Length != 1)
        {
            throw new ArgumentException($"The state has length {state.Length}; this weighting's state has length 1.", nameof(state));
        }

        double step = state[0];
        if (!double.IsFinite(step) || step < 0.0 || step != Math.Floor(step) || step >= 9007199254740992.0)
        {
            throw new ArgumentException(
                $"State entry 0 (the step count) is {step}; it must be a non-negative whole number below 2^53.", nameof(state));
        }

        Step = (long)step;
    }
}
