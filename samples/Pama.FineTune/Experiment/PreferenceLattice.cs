namespace Pama.FineTune.Experiment;

/// <summary>
/// The preference vectors of a sweep (<c>--sweep K</c>): the simplex lattice with K points on each edge, every vector
/// <c>p = (j₁, …, jₙ) / (K − 1)</c> with nonnegative integers <c>Σ jᵢ = K − 1</c> (Das and Dennis 1998). For two objectives
/// these are <c>(1 − t, t)</c> for <c>t = 0, 1/(K − 1), …, 1</c>; for n objectives there are <c>C(K + n − 2, n − 1)</c>.
/// </summary>
public static class PreferenceLattice
{
    /// <summary>The lattice, ordered with the first objective's share descending, then the second's, and so on (for two objectives: t ascending).</summary>
    /// <param name="objectiveCount">Objectives, two or more.</param>
    /// <param name="pointsPerEdge">Points on each edge of the simplex, two or more (the vertices included).</param>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than two objectives or points per edge.</exception>
    public static IReadOnlyList<double[]> Of(int objectiveCount, int pointsPerEdge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(objectiveCount, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(pointsPerEdge, 2);
        int divisions = pointsPerEdge - 1;
        var lattice = new List<double[]>();
        var shares = new int[objectiveCount];
        Fill(0, divisions);
        return lattice;

        // Objective i takes every share from the most left down to none; the last takes what remains.
        void Fill(int i, int left)
        {
            if (i == objectiveCount - 1)
            {
                shares[i] = left;
                lattice.Add([.. shares.Select(j => (double)j / divisions)]);
                return;
            }

            for (int j = left; j >= 0; j--)
            {
                shares[i] = j;
                Fill(i + 1, left - j);
            }
        }
    }
}
