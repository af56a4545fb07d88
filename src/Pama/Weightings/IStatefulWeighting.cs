namespace Pama.Weightings;

/// <summary>
/// A weighting whose weights depend on the history of training (a reward history, an ideal point, dual
/// variables, a random stream). Its state is a fixed-length vector of doubles, so a trainer can checkpoint it
/// and check that every data-parallel rank holds the same state.
/// </summary>
/// <remarks>
/// Protocol: once per training step, before that step's updates, the caller passes what was observed of the
/// step's batch (at least each objective's mean reward over the whole batch, summed over the process group)
/// to <see cref="IWeighting.Observe"/>, which advances the state (the method is declared on <see cref="IWeighting"/>,
/// where it does nothing by default, so a caller calls it on every weighting without checking the type). <see cref="IWeighting.ComputeWeights"/> is then a pure
/// function of the state and its input, so every minibatch update of the step, and every rank, gets the same
/// weights for the same input.
/// </remarks>
public interface IStatefulWeighting : IWeighting
{
    /// <summary>Number of doubles in the state (fixed once the weighting is created).</summary>
    int StateLength { get; }

    /// <summary>Copies the state into <paramref name="state"/>.</summary>
    /// <param name="state">Length <see cref="StateLength"/>.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    void SaveState(Span<double> state);

    /// <summary>Replaces the state by <paramref name="state"/>, after validating all of it (nothing changes on error).</summary>
    /// <param name="state">Length <see cref="StateLength"/>, as written by <see cref="SaveState"/>.</param>
    /// <exception cref="ArgumentException">Wrong length or an invalid entry (named by index).</exception>
    void LoadState(ReadOnlySpan<double> state);
}
