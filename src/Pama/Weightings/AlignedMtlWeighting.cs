using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// Aligned-MTL (Senushkin, Patakin, Kuznetsov and Konushin 2023, "Independent Component Alignment for
/// Multi-Task Learning", CVPR, Algorithm 1): replace the gradients by the closest set of orthogonal vectors of
/// equal norm (condition number 1) and combine those with the preference weights.
/// </summary>
/// <remarks>
/// <code>
/// G = V Λ Vᵀ (eigenvalues λ₁ ≥ … ≥ λ_R &gt; 0 of rank R),   B = √λ_R · V_R Λ_R^(−1/2) V_Rᵀ,
/// aligned gradients ĝᵢ = Σⱼ Bⱼᵢ gⱼ,   d = Σᵢ pᵢ ĝᵢ,   so  w = B p.
/// </code>
/// <para>
/// Defining property: the aligned Gramian BGB = λ_R · V_R V_Rᵀ has all its non-zero eigenvalues equal to the
/// smallest one of G ("min" scale of the authors' code): the aligned gradients are orthogonal, of equal norm,
/// and no larger than the original ones along any direction. Eigenvalues at most n · ε · λ_max are treated as 0
/// (the authors' rank rule, in float64). G = 0 gives w = p. Default p = (1/n, …, 1/n), as in TorchJD; the
/// authors' code adds the aligned gradients (p = 1), which is n times larger. Cost: one symmetric
/// eigendecomposition, O(n³).
/// </para>
/// </remarks>
public sealed class AlignedMtlWeighting : IWeighting
{
    /// <summary>Float64 machine epsilon 2⁻⁵², the unit of the rank cut-off.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    private readonly double[]? preferences;

    /// <summary>Creates Aligned-MTL with preference vector p (empty: pᵢ = 1/n for whatever n is given).</summary>
    /// <param name="preferences">Finite, non-negative, not all 0; or empty for the mean.</param>
    /// <exception cref="ArgumentException">An entry is negative or not finite (named by objective), or all are 0.</exception>
    public AlignedMtlWeighting(ReadOnlySpan<double> preferences = default)
    {
        this.preferences = GramianInput.Preferences(preferences, nameof(preferences));
    }

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes Aligned-MTL's weights w = B p into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: the alignment solves no problem with a value the caller can use.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "Aligned-MTL");
        int n = gramian.RowCount;
        double[] p = GramianInput.PreferencesFor(preferences, n);
        Matrix<double> balance = BalanceTransformation(gramian);
        for (int i = 0; i < n; i++)
        {
            double sum = 0.0;
            for (int j = 0; j < n; j++)
            {
                sum += balance[i, j] * p[j];
            }

            weights[i] = sum;
        }

        return double.NaN;
    }

    /// <summary>
    /// B = √λ_R · V_R Λ_R^(−1/2) V_Rᵀ of a validated symmetric PSD matrix (the identity when G = 0); invariant to
    /// the scale of G.
    /// </summary>
    internal static Matrix<double> BalanceTransformation(Matrix<double> gramian)
    {
        int n = gramian.RowCount;
        double scale = GramianInput.Scale(gramian);
        if (scale == 0.0)
        {
            return Matrix<double>.Build.DenseIdentity(n);
        }

        var evd = (gramian / scale).Evd(Symmetricity.Symmetric);
        double largest = 0.0;
        for (int k = 0; k < n; k++)
        {
            largest = Math.Max(largest, evd.EigenValues[k].Real);
        }

        double cutoff = n * MachineEpsilon * largest;
        double smallest = double.PositiveInfinity;
        for (int k = 0; k < n; k++)
        {
            double lambda = evd.EigenValues[k].Real;
            if (lambda > cutoff)
            {
                smallest = Math.Min(smallest, lambda);
            }
        }

        var balance = Matrix<double>.Build.Dense(n, n);
        for (int k = 0; k < n; k++)
        {
            double lambda = evd.EigenValues[k].Real;
            if (lambda <= cutoff)
            {
                continue;
            }

            double factor = Math.Sqrt(smallest / lambda);
            for (int i = 0; i < n; i++)
            {
                double left = evd.EigenVectors[i, k] * factor;
                for (int j = 0; j < n; j++)
                {
                    balance[i, j] += left * evd.EigenVectors[j, k];
                }
            }
        }

        return balance;
    }
}
