namespace Pama.Weightings;

/// <summary>
/// Fixed preference weights, the linear-scalarisation (MORLHF) baseline: c = p / Σᵢ pᵢ for a
/// preference vector p ≥ 0, whatever the batch. He and Maghsudi (2025) compare PAMA against it.
/// </summary>
/// <remarks>Immutable and thread-safe. Needs only <see cref="WeightingInput.ObjectiveCount"/>.</remarks>
public sealed class PreferenceWeighting : IWeighting
{
    private readonly double[] weights;

    /// <summary>Creates the weighting from non-negative preferences, normalised to sum 1.</summary>
    /// <param name="preferences">One finite, non-negative preference per objective, not all zero.</param>
    /// <exception cref="ArgumentException">
    /// Empty, a preference is negative, NaN or ±∞ (the message names the objective index), or all are zero.
    /// </exception>
    public PreferenceWeighting(ReadOnlySpan<double> preferences)
    {
        if (preferences.IsEmpty)
        {
            throw new ArgumentException("At least one preference is required.", nameof(preferences));
        }

        double largest = 0.0;
        for (int i = 0; i < preferences.Length; i++)
        {
            double p = preferences[i];
            if (!double.IsFinite(p) || p < 0.0)
            {
                string description = double.IsFinite(p) ? $"negative ({p})" : PamaSolver.Describe(p);
                throw new ArgumentException($"Preference of objective {i} is {description}.", nameof(preferences));
            }

            largest = Math.Max(largest, p);
        }

        if (largest == 0.0)
        {
            throw new ArgumentException("All preferences are zero; at least one must be positive.", nameof(preferences));
        }

        // Divide by the largest first so the sum cannot overflow.
        weights = new double[preferences.Length];
        double sum = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = preferences[i] / largest;
            sum += weights[i];
        }

        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }

        Weights = Array.AsReadOnly(weights);
    }

    /// <summary>Creates the weighting from non-negative preferences, normalised to sum 1.</summary>
    /// <param name="preferences">One finite, non-negative preference per objective, not all zero.</param>
    /// <exception cref="ArgumentException">See <see cref="PreferenceWeighting(ReadOnlySpan{double})"/>.</exception>
    public PreferenceWeighting(params double[] preferences)
        : this(new ReadOnlySpan<double>(preferences ?? throw new ArgumentNullException(nameof(preferences))))
    {
    }

    /// <summary>The normalised weights c = p / Σᵢ pᵢ.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => weights.Length;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.ObjectiveCount;

    /// <summary>Copies the fixed weights into <paramref name="weights"/>.</summary>
    /// <param name="input">Its objective count must equal <see cref="ObjectiveCount"/>.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: linear scalarisation solves no problem of its own.</returns>
    /// <exception cref="ArgumentException">The objective count or the length of <paramref name="weights"/> differs.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        if (input.ObjectiveCount != this.weights.Length)
        {
            throw new ArgumentException(
                $"The input has {input.ObjectiveCount} objectives but {this.weights.Length} preferences were given.",
                nameof(input));
        }

        if (weights.Length != this.weights.Length)
        {
            throw new ArgumentException(
                $"The weights span has length {weights.Length} but there are {this.weights.Length} objectives.",
                nameof(weights));
        }

        this.weights.CopyTo(weights);
        return double.NaN;
    }
}
