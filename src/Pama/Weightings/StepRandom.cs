namespace Pama.Weightings;

/// <summary>
/// Counter-based random numbers: every draw is a pure function of (seed, step, stream, index), built from the
/// SplitMix64 finaliser (Steele, Lea and Flood 2014). A weighting that draws at random then needs only its step
/// counter as state, so its weights are reproducible from a checkpoint and identical on every rank.
/// </summary>
internal static class StepRandom
{
    /// <summary>SplitMix64's output function: a bijective 64-bit mixer with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>64 random bits for one (seed, step, stream, index).</summary>
    public static ulong Bits(long seed, long step, int stream, int index) =>
        Mix(Mix(Mix(Mix((ulong)seed) ^ (ulong)step) ^ (uint)stream) ^ (uint)index);

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public static double Uniform(long seed, long step, int stream, int index) =>
        (Bits(seed, step, stream, index) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal draw by the Box-Muller transform of two uniforms (indices 2k and 2k + 1).</summary>
    public static double Normal(long seed, long step, int stream, int index)
    {
        double u1 = 1.0 - Uniform(seed, step, stream, 2 * index); // in (0, 1]: the logarithm stays finite
        double u2 = Uniform(seed, step, stream, (2 * index) + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Writes a uniformly random permutation of 0..n−1 (Fisher-Yates) for one (seed, step, stream).</summary>
    public static void Permutation(long seed, long step, int stream, Span<int> permutation)
    {
        for (int i = 0; i < permutation.Length; i++)
        {
            permutation[i] = i;
        }

        for (int i = permutation.Length - 1; i > 0; i--)
        {
            int j = (int)(Uniform(seed, step, stream, i) * (i + 1));
            (permutation[i], permutation[j]) = (permutation[j], permutation[i]);
        }
    }
}
