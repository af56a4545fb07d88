using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>
/// The diagonally rescaled Gramian G̃ = D⁻¹GD⁻¹, D = diag(sᵢ), sᵢ = √Gᵢᵢ = ‖gᵢ‖: the Gramian of the unit gradients
/// (unit diagonal; a zero gradient gives a zero row and column of G̃ and sᵢ = 0). Its entries are the cosines, known
/// to about ε whatever the norms, so every rank decision, pivot test and stopping rule made on G̃ is relative to each
/// gradient's own norm: a gradient 10⁶ times smaller than another is seen as clearly as one of equal norm.
/// </summary>
internal sealed class ScaledGramian
{
    /// <summary>Float64 machine epsilon 2⁻⁵².</summary>
    public const double MachineEpsilon = 2.220446049250313e-16;

    private Matrix<double>? coordinates;

    /// <summary>Rescales a validated symmetric PSD Gramian.</summary>
    public ScaledGramian(Matrix<double> gramian)
    {
        int n = gramian.RowCount;
        Count = n;
        Norms = new double[n];
        for (int i = 0; i < n; i++)
        {
            Norms[i] = Math.Sqrt(Math.Max(gramian[i, i], 0.0));
        }

        Unit = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            if (Norms[i] == 0.0)
            {
                continue;
            }

            Unit[i, i] = 1.0;
            for (int j = 0; j < i; j++)
            {
                if (Norms[j] > 0.0)
                {
                    // Cauchy-Schwarz holds up to the validation slack; clip so that G̃ stays a matrix of cosines.
                    double cosine = Math.Clamp(gramian[i, j] / Norms[i] / Norms[j], -1.0, 1.0);
                    Unit[i, j] = cosine;
                    Unit[j, i] = cosine;
                }
            }
        }
    }

    /// <summary>n.</summary>
    public int Count { get; }

    /// <summary>sᵢ = ‖gᵢ‖ (0 for a zero gradient).</summary>
    public double[] Norms { get; }

    /// <summary>G̃ᵢⱼ = Gᵢⱼ / (sᵢsⱼ), the cosines (0 in the row and column of a zero gradient).</summary>
    public Matrix<double> Unit { get; }

    /// <summary>Whether some gradient is 0.</summary>
    public bool HasZero => Array.IndexOf(Norms, 0.0) >= 0;

    /// <summary>
    /// Coordinates of the gradients: an n × r matrix R with rows rᵢ = sᵢ l̃ᵢ, where G̃ ≈ L̃L̃ᵀ comes from the symmetric
    /// eigendecomposition of G̃ (eigenvalues at most n · ε · λ_max(G̃) dropped, so r is the numerical rank of the unit
    /// gradients). RRᵀ reproduces G with an error of about ε·sᵢsⱼ in every entry, so each row keeps its own relative
    /// accuracy; coordinates from an eigendecomposition of G itself carry an error of ε·maxᵢ Gᵢᵢ, which swamps the
    /// small gradients.
    /// </summary>
    public Matrix<double> Coordinates => coordinates ??= BuildCoordinates();

    /// <summary>The numerical rank of the unit gradients (the column count of <see cref="Coordinates"/>).</summary>
    public int Rank => Coordinates.ColumnCount;

    private Matrix<double> BuildCoordinates()
    {
        int n = Count;
        var evd = Unit.Evd(Symmetricity.Symmetric);
        double largest = 0.0;
        for (int k = 0; k < n; k++)
        {
            largest = Math.Max(largest, evd.EigenValues[k].Real);
        }

        double cutoff = n * MachineEpsilon * largest;
        int[] kept = [.. Enumerable.Range(0, n).Where(k => largest > 0.0 && evd.EigenValues[k].Real > cutoff)];
        var rows = Matrix<double>.Build.Dense(n, kept.Length);
        for (int c = 0; c < kept.Length; c++)
        {
            double root = Math.Sqrt(evd.EigenValues[kept[c]].Real);
            for (int i = 0; i < n; i++)
            {
                rows[i, c] = Norms[i] * evd.EigenVectors[i, kept[c]] * root;
            }
        }

        return rows;
    }
}
