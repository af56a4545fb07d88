namespace Pama.Weightings;

/// <summary>Settings of <see cref="FamoWeighting"/>; the defaults are those of the authors' released code.</summary>
public sealed record FamoOptions
{
    private readonly double learningRate = 0.025;
    private readonly double decay = 0.01;

    /// <summary>The learning rate β of the logits ξ (default 0.025); must be positive and finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive, or not finite.</exception>
    public double LearningRate
    {
        get => learningRate;
        init => learningRate = value > 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, "The learning rate must be positive and finite.");
    }

    /// <summary>The decay γ that pulls the logits towards 0 (uniform weights); default 0.01, finite and ≥ 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or not finite.</exception>
    public double Decay
    {
        get => decay;
        init => decay = value >= 0.0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Decay), value, "The decay must be finite and non-negative.");
    }

    /// <summary>
    /// True (default): the logits take an Adam step (β₁ 0.9, β₂ 0.999, ε 1e-8, the decay added to the gradient),
    /// as the authors' released code does; false: the plain step ξ ← ξ − β(δ + γξ) of the paper's Algorithm 1.
    /// </summary>
    public bool UseAdam { get; init; } = true;
}
