namespace Pama.Weightings;

/// <summary>Settings of <see cref="DynamicWeightAverageWeighting"/>.</summary>
public sealed record DynamicWeightAverageOptions
{
    private readonly double temperature = 2.0;

    /// <summary>
    /// The temperature T of the softmax over the shortfall ratios; larger is closer to uniform weights.
    /// Default 2, the value of Liu, Johns and Davison (2019); must be positive and finite.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive, or not finite.</exception>
    public double Temperature
    {
        get => temperature;
        init => temperature = value > 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Temperature), value, "The temperature must be positive and finite.");
    }
}
