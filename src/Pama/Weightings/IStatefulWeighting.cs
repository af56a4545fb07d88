namespace Pama.Weightings;

/// <summary>
/// A weighting whose weights depend on earlier calls (a loss history, dual variables, a random stream).
/// Its state is a fixed-length vector of doubles, so a trainer can checkpoint it and check that every
/// data-parallel rank holds the same state.
/// </summary>
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
