namespace Pama.Weightings;

/// <summary>
/// IMTL-G, the gradient part of Impartial Multi-Task Learning (Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang
/// 2021, "Towards Impartial Multi-task Learning", ICLR): the combination d = Σᵢ wᵢ∇Lᵢ with Σᵢ wᵢ = 1 whose
/// projections on the unit gradients are all equal, d·∇Lᵢ/‖∇Lᵢ‖ = d·∇Lⱼ/‖∇Lⱼ‖.
/// </summary>
/// <remarks>
/// <code>v = G⁺ s,  sᵢ = √Gᵢᵢ = ‖∇Lᵢ‖,   w = v / Σᵢ vᵢ   (then Gw = s / Σᵢvᵢ, i.e. d·∇Lᵢ = ‖∇Lᵢ‖ / Σᵢvᵢ).</code>
/// <para>
/// This is the paper's closed form (its Eq. 8, α = g₁Uᵀ(DUᵀ)⁻¹ for linearly independent gradients) written on the
/// Gramian with the pseudo-inverse, as generalised by Quinton and Rey (2024) and TorchJD so that linearly dependent
/// gradients are allowed. It is computed on the unit gradients: Gv = s is G̃z = 1 with G̃ = D⁻¹GD⁻¹, D = diag(sᵢ),
/// z = Dv, so z = G̃⁺1 from MathNet's symmetric eigendecomposition of G̃ (eigenvalues at most n · ε · λ_max(G̃)
/// treated as 0, the rank rule of NumPy and PyTorch applied to the unit gradients), v = D⁻¹z, then v is made the
/// least-norm solution by removing its component in the null space of G (D⁻¹ times that of G̃), which gives G⁺s
/// exactly when s lies in the range of G. An eigendecomposition of G itself has an error of ε·maxᵢGᵢᵢ, which at
/// gradient norms 10⁶ apart drops or distorts the short gradients. Equal projections exist only when s lies in the
/// range of G (always when the gradients are independent); otherwise v is the least-squares answer in the metric
/// of the unit gradients (it minimises ‖D⁻¹(Gv − s)‖). Zero gradients get vᵢ = 0.
/// Stated accuracy, for gradient norms spanning 10⁻³..10³ (s in the range of G): the projections d·∇Lᵢ/‖∇Lᵢ‖ agree
/// to 10⁻⁹‖d‖ + 10⁻¹¹ Σⱼ|wⱼ|‖∇Lⱼ‖ (the second term the rounding of a float64 Gramian).
/// When Σᵢ vᵢ is 0 up to rounding (|Σᵢ vᵢ| ≤ 10⁻¹² · ‖v‖₁, e.g. G = 0) the weights are 0, as in TorchJD.
/// Cost O(n³).
/// </para>
/// </remarks>
public sealed class ImtlGWeighting : IWeighting
{
    /// <summary>Float64 machine epsilon 2⁻⁵², the unit of the rank cut-off.</summary>
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.Gramian;

    /// <summary>Writes IMTL-G's weights w = G⁺s / Σ(G⁺s) into <paramref name="weights"/>.</summary>
    /// <param name="input">Must carry the n × n Gramian.</param>
    /// <param name="weights">Receives the n weights (sum 1, or all 0 in the degenerate case).</param>
    /// <returns><see cref="double.NaN"/>: IMTL-G solves no optimisation problem.</returns>
    /// <exception cref="ArgumentException">No Gramian, a bad Gramian entry (named), or a length mismatch.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        var gramian = GramianInput.Read(input, weights.Length, "IMTL-G");
        int n = gramian.RowCount;
        double scale = GramianInput.Scale(gramian);
        weights.Clear();
        if (scale == 0.0)
        {
            return double.NaN;
        }

        // Gv = s is G̃(Dv) = D⁻¹s = 1 on the unit gradients (D = diag(sᵢ)): solve there, where the eigenvalues are
        // relative to each gradient's own norm, and map back v = D⁻¹z. A zero gradient has sᵢ = 0 and vᵢ = 0.
        var scaled = new ScaledGramian(gramian);
        double[] norms = scaled.Norms;
        int[] kept = [.. Enumerable.Range(0, n).Where(i => norms[i] > 0.0)];
        int m = kept.Length;
        var unit = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build.Dense(m, m, (a, b) => scaled.Unit[kept[a], kept[b]]);
        var evd = unit.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var eigenvalues = evd.EigenValues;
        var basis = evd.EigenVectors;
        double largest = 0.0;
        for (int k = 0; k < m; k++)
        {
            largest = Math.Max(largest, eigenvalues[k].Real);
        }

        double cutoff = n * MachineEpsilon * largest;
        double[] v = new double[n];
        var nullBasis = new List<double[]>();
        for (int k = 0; k < m; k++)
        {
            double lambda = eigenvalues[k].Real;
            if (lambda <= cutoff)
            {
                // A direction of the null space of G: D⁻¹ũ.
                double[] direction = new double[n];
                for (int a = 0; a < m; a++)
                {
                    direction[kept[a]] = basis[a, k] / norms[kept[a]];
                }

                nullBasis.Add(direction);
                continue;
            }

            double projection = 0.0;
            for (int a = 0; a < m; a++)
            {
                projection += basis[a, k];
            }

            projection /= lambda;
            for (int a = 0; a < m; a++)
            {
                v[kept[a]] += basis[a, k] * projection / norms[kept[a]];
            }
        }

        MinimumNorm(v, nullBasis);
        double sum = 0.0;
        double absolute = 0.0;
        for (int i = 0; i < n; i++)
        {
            sum += v[i];
            absolute += Math.Abs(v[i]);
        }

        if (!(Math.Abs(sum) > 1e-12 * absolute))
        {
            return double.NaN;
        }

        for (int i = 0; i < n; i++)
        {
            weights[i] = v[i] / sum;
        }

        return double.NaN;
    }

    /// <summary>
    /// Removes from v its component in the span of the null directions (modified Gram-Schmidt, twice), leaving the
    /// solution of Gv = Gv₀ of least Euclidean norm, which is G⁺s when s is in the range of G. Gv is unchanged.
    /// </summary>
    private static void MinimumNorm(double[] v, List<double[]> nullBasis)
    {
        var orthonormal = new List<double[]>();
        foreach (double[] direction in nullBasis)
        {
            double[] q = (double[])direction.Clone();
            for (int pass = 0; pass < 2; pass++)
            {
                foreach (double[] e in orthonormal)
                {
                    double dot = Dot(q, e);
                    for (int i = 0; i < q.Length; i++)
                    {
                        q[i] -= dot * e[i];
                    }
                }
            }

            double norm = Math.Sqrt(Dot(q, q));
            double original = Math.Sqrt(Dot(direction, direction));
            if (!(norm > 1e-8 * original))
            {
                continue;
            }

            for (int i = 0; i < q.Length; i++)
            {
                q[i] /= norm;
            }

            orthonormal.Add(q);
        }

        for (int pass = 0; pass < 2; pass++)
        {
            foreach (double[] e in orthonormal)
            {
                double dot = Dot(v, e);
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] -= dot * e[i];
                }
            }
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0.0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
