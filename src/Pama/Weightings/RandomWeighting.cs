namespace Pama.Weightings;

/// <summary>
/// Random loss weighting, RLW (Lin, Ye, Xu, Shi and Zhang 2022, "Reasonable Effectiveness of Random Weighting: A
/// Litmus Test for Multi-Task Learning", TMLR; arXiv 2111.10603): fresh random weights every step,
/// w = softmax(z) with zᵢ ~ N(0, 1) independent.
/// </summary>
/// <remarks>
/// The paper's default (normal draws through a softmax), as in LibMTL and TorchJD. The draws at step t are a pure
/// function of (<see cref="Seed"/>, t), from a counter-based generator: the state is the step count only
/// (advanced by <see cref="Observe"/>), so the weights are reproducible after a checkpoint and identical on every
/// rank. Needs only <see cref="WeightingInput.ObjectiveCount"/>.
/// </remarks>
public sealed class RandomWeighting : IStatefulWeighting
{
    private readonly StepCounter counter = new();

    /// <summary>Creates the weighting whose draws derive from <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value; equal seeds give equal weights at equal steps.</param>
    public RandomWeighting(long seed)
    {
        Seed = seed;
    }

    /// <summary>The seed of the draws.</summary>
    public long Seed { get; }

    /// <summary>Steps observed so far (the state).</summary>
    public long Step => counter.Step;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.ObjectiveCount;

    /// <inheritdoc />
    public int StateLength => 1;

    /// <summary>Advances to the next step's draws; the input is not read.</summary>
    /// <param name="input">Ignored (the state is only the step count).</param>
    public void Observe(WeightingInput input) => counter.Advance();

    /// <inheritdoc />
    public void SaveState(Span<double> state) => counter.Save(state);

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state) => counter.Load(state);

    /// <summary>Writes this step's weights softmax(z) into <paramref name="weights"/>.</summary>
    /// <param name="input">Any input; only its objective count is read.</param>
    /// <param name="weights">Receives the n weights (positive, sum 1).</param>
    /// <returns><see cref="double.NaN"/>: random weighting solves no problem.</returns>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> differs from n, or the input is empty.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        MeanWeighting.CheckCount(input, weights.Length);
        double largest = double.NegativeInfinity;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = StepRandom.Normal(Seed, counter.Step, 0, i);
            largest = Math.Max(largest, weights[i]);
        }

        double sum = 0.0;
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = Math.Exp(weights[i] - largest);
            sum += weights[i];
        }

        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] /= sum;
        }

        return double.NaN;
    }
}
