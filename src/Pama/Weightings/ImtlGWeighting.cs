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
/// gradients are allowed. G⁺ comes from MathNet's symmetric eigendecomposition, with eigenvalues at most
/// n · ε · λ_max treated as 0 (the rank rule of NumPy and PyTorch). Equal projections exist only when s lies
/// in the range of G (always when the gradients are independent); otherwise v is the least-squares answer.
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

        gramian.Divide(scale, gramian);
        var evd = gramian.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric);
        var eigenvalues = evd.EigenValues;
        var basis = evd.EigenVectors;
        double largest = 0.0;
        for (int k = 0; k < n; k++)
        {
            largest = Math.Max(largest, eigenvalues[k].Real);
        }

        double cutoff = n * MachineEpsilon * largest;
        double[] s = new double[n];
        for (int i = 0; i < n; i++)
        {
            s[i] = Math.Sqrt(gramian[i, i]);
        }

        double[] v = new double[n];
        for (int k = 0; k < n; k++)
        {
            double lambda = eigenvalues[k].Real;
            if (lambda <= cutoff)
            {
                continue;
            }

            double projection = 0.0;
            for (int i = 0; i < n; i++)
            {
                projection += basis[i, k] * s[i];
            }

            projection /= lambda;
            for (int i = 0; i < n; i++)
            {
                v[i] += basis[i, k] * projection;
            }
        }

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
}
