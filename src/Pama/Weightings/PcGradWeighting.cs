namespace Pama.Weightings;

/// <summary>
/// PCGrad, "gradient surgery" (Yu, Kumar, Gupta, Levine, Hausman and Finn 2020, "Gradient Surgery for
/// Multi-Task Learning", NeurIPS, Algorithm 1): each gradient, in its own random order over the other
/// objectives, is projected onto the normal plane of every gradient it conflicts with; the results are added.
/// </summary>
/// <remarks>
/// <code>
/// for each i: gᵢᴾᶜ = gᵢ; for j ≠ i in a random order: if gᵢᴾᶜ·gⱼ &lt; 0 then gᵢᴾᶜ ← gᵢᴾᶜ − (gᵢᴾᶜ·gⱼ / ‖gⱼ‖²) gⱼ
/// d = Σᵢ gᵢᴾᶜ
/// </code>
/// <para>
/// Every gᵢᴾᶜ is a combination Σⱼ cᵢⱼ gⱼ, so the whole algorithm runs on the Gramian: gᵢᴾᶜ·gⱼ = (Gcᵢ)ⱼ, and
/// the weights are w = Σᵢ cᵢ (as in TorchJD). For two conflicting gradients (G₁₂ &lt; 0) this is the closed form
/// w = (1 − G₁₂/G₁₁, 1 − G₁₂/G₂₂); otherwise w = (1, 1). The sum, not the mean, is the paper's update.
/// Each step divides by the Gᵢᵢ of the gradient projected on, so the algorithm needs no rescaling. Stated accuracy,
/// for gradient norms spanning 10⁻³..10³: d within 10⁻⁹ Σᵢ‖∇Lᵢ‖ of Algorithm 1 run on the vectors in the same
/// orders, and every ∇Lⱼ·d within 10⁻⁹‖∇Lⱼ‖Σᵢ‖∇Lᵢ‖.
/// </para>
/// <para>
/// Randomness: the order for objective i at step t is a permutation drawn from (<see cref="Seed"/>, t, i) by a
/// counter-based generator, so the weights are a pure function of the seed, the step count (the state, advanced
/// by <see cref="Observe"/>) and G: reproducible after a checkpoint and identical on every rank. Cost O(n³).
/// </para>
/// </remarks>
public sealed class PcGradWeighting : IStatefulWeighting
{
    private readonly StepCounter counter = new();

    /// <summary>Creates PCGrad whose random orders derive from <paramref name="seed"/>.</summary>
    /// <param name="seed">Any value; equal seeds give equal orders at equal steps.</param>
    public PcGradWeighting(long seed)
    {
        Seed = seed;
    }

    /// <summary>The seed of the random orders.</summary>
    public long Seed { get; }

    /// <summary>Steps observed so far (the state).</summary>
    public long Step => counter.Step;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <inheritdoc />
    public int StateLength => 1;

    /// <summary>Advances to the next step's random orders; the input is not read.</summary>
    /// <param name="input">Ignored (PCGrad's state is only its step count).</param>
    public void Observe(WeightingInput input) => counter.Advance();

    /// <inheritdoc />
    public void SaveState(Span<double> state) => counter.Save(state);

    /// <inheritdoc />
    public void LoadState(ReadOnlySpan<double> state) => counter.Load(state);

    /// <summary>Writes PCGrad's weights for the current step's orders into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights (not normalised; each cᵢ has cᵢᵢ = 1).</param>
    /// <returns><see cref="double.NaN"/>: PCGrad solves no optimisation problem.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "PCGrad");
        int n = gramian.RowCount;
        Span<int> order = n <= 64 ? stackalloc int[n] : new int[n];
        Span<double> c = n <= 64 ? stackalloc double[n] : new double[n];
        weights.Clear();
        for (int i = 0; i < n; i++)
        {
            StepRandom.Permutation(Seed, counter.Step, i, order);
            c.Clear();
            c[i] = 1.0;
            foreach (int j in order)
            {
                if (j == i)
                {
                    continue;
                }

                double inner = 0.0;
                for (int k = 0; k < n; k++)
                {
                    inner += gramian[j, k] * c[k];
                }

                // inner < 0 implies gⱼ ≠ 0, so Gⱼⱼ > 0.
                if (inner < 0.0)
                {
                    c[j] -= inner / gramian[j, j];
                }
            }

            for (int k = 0; k < n; k++)
            {
                weights[k] += c[k];
            }
        }

        return double.NaN;
    }
}
