using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>Small dense helpers on a Gramian and a weight vector.</summary>
internal static class Quadratic
{
    /// <summary>wᵀGw = ‖Σᵢ wᵢ ∇Lᵢ‖².</summary>
    public static double Form(Matrix<double> gramian, ReadOnlySpan<double> w)
    {
        double value = 0.0;
        for (int i = 0; i < w.Length; i++)
        {
            double row = 0.0;
            for (int j = 0; j < w.Length; j++)
            {
                row += gramian[i, j] * w[j];
            }

            value += w[i] * row;
        }

        return value;
    }
}
