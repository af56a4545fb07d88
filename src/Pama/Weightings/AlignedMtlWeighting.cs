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
/// and no larger than the original ones along any direction. The rank R is that of the unit gradients
/// D⁻¹GD⁻¹ (D = diag(‖∇Lᵢ‖); eigenvalues at most n · ε · λ_max of that matrix are treated as 0, the authors' rule
/// applied where it does not depend on the gradient norms), and the eigenpairs come from one-sided Jacobi on
/// coordinates of the gradients that keep each gradient's relative accuracy, so λ_R is accurate to high relative
/// precision even when the gradient norms span six decades (a plain eigendecomposition of G has an error of
/// ε·λ_max, which is larger than λ_R there). Stated accuracy, for norms spanning 10⁻³..10³: every non-zero singular
/// value of the aligned gradients is within 10⁻⁷ of √λ_R relative, the others below 10⁻⁷√λ_R.
/// G = 0 gives w = p. Default p = (1/n, …, 1/n), as in TorchJD; the
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

        // Eigenpairs of G to high relative accuracy: one-sided Jacobi on the coordinate rows rᵢ (RRᵀ = G/scale, each
        // row accurate relative to its own norm; its column count is the rank of the unit gradients). The rotations
        // Q make the rows of QR orthogonal, so G/scale = Qᵀ diag(‖(QR)ₖ‖²) Q: eigenvalue k is ‖(QR)ₖ‖², its
        // eigenvector row k of Q. Demmel and Veselić (1992): this is accurate to ε·κ(G̃) relative for every
        // eigenvalue, where an eigendecomposition of G itself is accurate only to ε·λ_max.
        var coordinates = new ScaledGramian(gramian / scale).Coordinates;
        int rank = coordinates.ColumnCount;
        double[,] rows = coordinates.ToArray();
        double[,] rotations = Matrix<double>.Build.DenseIdentity(n).ToArray();
        OneSidedJacobi(rows, rotations, n, rank);
        double[] eigenvalues = new double[n];
        for (int k = 0; k < n; k++)
        {
            double sum = 0.0;
            for (int c = 0; c < rank; c++)
            {
                sum += rows[k, c] * rows[k, c];
            }

            eigenvalues[k] = sum;
        }

        // The rank non-zero eigenvalues are the largest rank of the n squared row norms; the others are rounding.
        int[] kept = [.. Enumerable.Range(0, n).OrderByDescending(k => eigenvalues[k]).Take(rank)];
        var balance = Matrix<double>.Build.Dense(n, n);
        if (rank == 0)
        {
            return Matrix<double>.Build.DenseIdentity(n);
        }

        double smallest = kept.Min(k => eigenvalues[k]);
        foreach (int k in kept)
        {
            double factor = Math.Sqrt(smallest / eigenvalues[k]);
            for (int i = 0; i < n; i++)
            {
                double left = rotations[k, i] * factor;
                for (int j = 0; j < n; j++)
                {
                    balance[i, j] += left * rotations[k, j];
                }
            }
        }

        return balance;
    }

    /// <summary>
    /// Hestenes' one-sided Jacobi on the n rows (length m) of <paramref name="rows"/>: cyclic plane rotations of row
    /// pairs until every pair is orthogonal to 10⁻¹⁵ of the product of their norms; the same rotations are applied
    /// to the rows of <paramref name="rotations"/> (the identity on entry).
    /// </summary>
    private static void OneSidedJacobi(double[,] rows, double[,] rotations, int n, int m)
    {
        for (int sweep = 0; sweep < 60; sweep++)
        {
            bool rotated = false;
            for (int i = 0; i < n - 1; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    double alpha = 0.0, beta = 0.0, gamma = 0.0;
                    for (int c = 0; c < m; c++)
                    {
                        alpha += rows[i, c] * rows[i, c];
                        beta += rows[j, c] * rows[j, c];
                        gamma += rows[i, c] * rows[j, c];
                    }

                    if (gamma == 0.0 || Math.Abs(gamma) <= 1e-15 * Math.Sqrt(alpha) * Math.Sqrt(beta))
                    {
                        continue;
                    }

                    rotated = true;
                    double zeta = (beta - alpha) / (2.0 * gamma);
                    double t = (zeta >= 0.0 ? 1.0 : -1.0) / (Math.Abs(zeta) + Math.Sqrt(1.0 + (zeta * zeta)));
                    double cosine = 1.0 / Math.Sqrt(1.0 + (t * t));
                    double sine = cosine * t;
                    for (int c = 0; c < m; c++)
                    {
                        double a = rows[i, c], b = rows[j, c];
                        rows[i, c] = (cosine * a) - (sine * b);
                        rows[j, c] = (sine * a) + (cosine * b);
                    }

                    for (int c = 0; c < n; c++)
                    {
                        double a = rotations[i, c], b = rotations[j, c];
                        rotations[i, c] = (cosine * a) - (sine * b);
                        rotations[j, c] = (sine * a) + (cosine * b);
                    }
                }
            }

            if (!rotated)
            {
                return;
            }
        }
    }
}
