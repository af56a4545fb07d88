namespace Pama.TorchSharp.Training.Ppo;

/// <summary>
/// The KL coefficient β of the per-token penalty <c>−β (log π_θ − log π_ref)</c>: fixed, or adapted
/// after each step as in Ziegler et al. (2019) when <see cref="AdaptiveKlOptions"/> are given.
/// </summary>
public sealed class KlController
{
    private readonly AdaptiveKlOptions? _adaptive;

    /// <summary>Creates a controller starting at <paramref name="initialCoefficient"/>.</summary>
    /// <param name="initialCoefficient">Initial β (the paper: 0.2).</param>
    /// <param name="adaptive">Adaptive settings, or <c>null</c> for a fixed coefficient.</param>
    public KlController(double initialCoefficient, AdaptiveKlOptions? adaptive)
    {
        if (!double.IsFinite(initialCoefficient) || initialCoefficient < 0)
            throw new ArgumentOutOfRangeException(nameof(initialCoefficient), initialCoefficient, "The KL coefficient must be finite and nonnegative.");
        Coefficient = initialCoefficient;
        _adaptive = adaptive;
    }

    /// <summary>The current β.</summary>
    public double Coefficient { get; internal set; }

    /// <summary>Adapts β to the KL observed in a step (no-op for a fixed coefficient).</summary>
    /// <param name="observedKl">Mean over the batch of the summed per-token KL of each response.</param>
    /// <param name="responseCount">Number of responses the KL was measured on.</param>
    public void Update(double observedKl, int responseCount)
    {
        if (_adaptive is null || !double.IsFinite(observedKl)) return;
        double proportionalError = Math.Clamp(observedKl / _adaptive.TargetKl - 1.0, -0.2, 0.2);
        Coefficient *= 1.0 + proportionalError * responseCount / _adaptive.Horizon;
    }
}
