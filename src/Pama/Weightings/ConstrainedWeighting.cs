namespace Pama.Weightings;

/// <summary>
/// Constrained scalarisation by Lagrangian relaxation and dual ascent (Altman 1999, "Constrained Markov Decision
/// Processes"; as in the Lagrangian PPO of Ray, Achiam and Amodei 2019, "Benchmarking Safe Exploration in Deep
/// Reinforcement Learning"): maximise the preferred mix of the objectives while keeping chosen ones above a floor,
/// </summary>
/// <remarks>
/// <code>max Σᵢ pᵢ fᵢ  subject to  fⱼ ≥ τⱼ,   Lagrangian  L(θ, λ) = Σᵢ pᵢ fᵢ + Σⱼ λⱼ (fⱼ − τⱼ),  λ ≥ 0,</code>
/// <para>
/// whose policy gradient is Σᵢ (pᵢ + λᵢ) ∇fᵢ, so the weights are c = (p + λ) / Σᵢ (pᵢ + λᵢ), p the preferences
/// normalised to sum 1. Each <see cref="Observe"/> takes one projected step of dual (sub)gradient descent on λ,
/// λⱼ ← max(0, λⱼ + η (τⱼ − fⱼ)): a multiplier grows while its objective's mean reward is below the floor and
/// shrinks back to 0 once it is above. An objective with floor −∞ is unconstrained (its λ stays 0). This is the
/// "keep harmlessness above a floor" need: floors on the guarded rewards, preferences on the rest.
/// </para>
/// <para>
/// State: [λ₀, …, λₙ₋₁], starting at 0. <see cref="ComputeWeights"/> reads only the state, costs O(n) and
/// allocates nothing.
/// <see cref="ComputeWeights"/> only reads the state, so concurrent calls are safe; <see cref="Observe"/> and
/// <see cref="LoadState"/> must not overlap any other call.
/// </para>
/// </remarks>
public sealed class ConstrainedWeighting : IStatefulWeighting
{
    private const string Method = "The constrained weighting";
    private readonly double[] preferences;
    private readonly double[] floors;
    private readonly double[] multipliers;

    /// <summary>Creates the weighting with all multipliers 0.</summary>
    /// <param name="preferences">One finite, non-negative preference pᵢ per objective, not all zero (normalised to sum 1).</param>
    /// <param name="floors">
    /// One floor τᵢ per objective on its mean reward: finite for a constrained objective, −∞ for an unconstrained one.
    /// </param>
    /// <param name="stepSize">The dual step size η &gt; 0 (finite), in multiplier units per unit of reward shortfall.</param>
    /// <exception cref="ArgumentException">
    /// A preference is invalid or a floor is NaN or +∞ (named by objective), or the lengths differ.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is not positive and finite.</exception>
    public ConstrainedWeighting(ReadOnlySpan<double> preferences, ReadOnlySpan<double> floors, double stepSize)
    {
        this.preferences = [.. new PreferenceWeighting(preferences).Weights];
        if (floors.Length != this.preferences.Length)
        {
            throw new ArgumentException(
                $"There are {floors.Length} floors but {this.preferences.Length} preferences; give −∞ for an unconstrained objective.",
                nameof(floors));
        }

        for (int i = 0; i < floors.Length; i++)
        {
            if (double.IsNaN(floors[i]) || double.IsPositiveInfinity(floors[i]))
            {
                throw new ArgumentException(
                    $"Floor of objective {i} is {PamaSolver.Describe(floors[i])}; give a finite floor, or −∞ for no constraint.",
                    nameof(floors));
            }
        }

        if (!(stepSize > 0.0 && double.IsFinite(stepSize)))
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The dual step size η must be positive and finite.");
        }

        this.floors = floors.ToArray();
        multipliers = new double[floors.Length];
        StepSize = stepSize;
        Preferences = Array.AsReadOnly(this.preferences);
        Floors = Array.AsReadOnly(this.floors);
    }

    /// <summary>Number of objectives n.</summary>
    public int ObjectiveCount => preferences.Length;

    /// <summary>The normalised preferences p.</summary>
    public IReadOnlyList<double> Preferences { get; }

    /// <summary>The floors τ (−∞ for an unconstrained objective).</summary>
    public IReadOnlyList<double> Floors { get; }

    /// <summary>The dual step size η.</summary>
    public double StepSize { get; }

    /// <summary>Reads <see cref="WeightingInput.Rewards"/> in <see cref="Observe"/>; <see cref="ComputeWeights"/> needs only the count.</summary>
    public WeightingInputs Reads => WeightingInputs.Rewards;

    /// <inheritdoc />
    public int StateLength => multipliers.Length;

    /// <summary>Copies the Lagrange multipliers λ into <paramref name="destination"/>.</summary>
    /// <param name="destination">Length n.</param>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public void CopyMultipliers(Span<double> destination)
    {
        if (destination.Length != multipliers.Length)
        {
            throw new ArgumentException(
                $"The destination has length {destination.Length} but there are {multipliers.Length} objectives.", nameof(destination));
        }

        multipliers.CopyTo(destination);
    }

    /// <summary>Writes c = (p + λ) / Σᵢ (pᵢ + λᵢ).</summary>
    /// <param name="input">Its objective count must be n; rewards, if any, are not read.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: the weights follow the multipliers; no problem is solved here.</returns>
    /// <exception cref="ArgumentException">The objective count or the length of <paramref name="weights"/> differs.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        RewardInput.CheckCounts(input, preferences.Length, weights);

        // Divide by the largest first so the sum cannot overflow.
        double largest = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            largest = Math.Max(largest, preferences[i] + multipliers[i]);
        }

        double sum = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = (preferences[i] + multipliers[i]) / largest;
            sum += weights[i];
        }

        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }

        return double.NaN;
    }

    /// <summary>One dual step λⱼ ← max(0, λⱼ + η (τⱼ − fⱼ)) for the constrained objectives.</summary>
    /// <param name="input">Must carry one finite mean reward per objective.</param>
    /// <exception cref="ArgumentException">
    /// No rewards, a wrong count, a reward is NaN or ±∞, or a multiplier would overflow (named by objective);
    /// nothing changes.
    /// </exception>
    public void Observe(WeightingInput input)
    {
        ReadOnlySpan<double> rewards = RewardInput.Read(input, preferences.Length, Method);
        for (int i = 0; i < multipliers.Length; i++)
        {
            if (!double.IsFinite(Next(i, rewards[i])))
            {
                throw new ArgumentException(
                    $"The multiplier of objective {i} overflows (mean reward {rewards[i]}, floor {floors[i]}).", nameof(input));
            }
        }

        for (int i = 0; i < multipliers.Length; i++)
        {
            multipliers[i] = Next(i, rewards[i]);
        }
    }

    /// <inheritdoc />
    public void SaveState(Span<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        multipliers.CopyTo(state);
    }

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state)
    {
        RewardInput.CheckStateLength(state.Length, StateLength);
        for (int i = 0; i < state.Length; i++)
        {
            double x = state[i];
            if (!double.IsFinite(x) || x < 0.0)
            {
                string description = double.IsFinite(x) ? $"negative ({x})" : PamaSolver.Describe(x);
                throw new ArgumentException($"State entry {i} (the multiplier of objective {i}) is {description}.", "state");
            }

            if (double.IsNegativeInfinity(floors[i]) && x != 0.0)
            {
                throw new ArgumentException(
                    $"State entry {i} (the multiplier of objective {i}) is {x} but objective {i} is unconstrained; it must be 0.",
                    "state");
            }
        }

        state.CopyTo(multipliers);
    }

    private double Next(int objective, double reward) =>
        double.IsNegativeInfinity(floors[objective])
            ? 0.0
            : Math.Max(0.0, multipliers[objective] + (StepSize * (floors[objective] - reward)));
}
