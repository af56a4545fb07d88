using MathNet.Numerics.LinearAlgebra;

namespace Pama.Weightings;

/// <summary>Reads and validates the Gramian a Gramian weighting needs, with errors that name the method and the entry.</summary>
internal static class GramianInput
{
    /// <summary>
    /// The validated symmetric part of <see cref="WeightingInput.Gramian"/> (square, finite, symmetric up to
    /// rounding, non-negative diagonal, Cauchy-Schwarz bounds), checked against the length of the weights span.
    /// </summary>
    /// <exception cref="ArgumentException">No Gramian, a bad entry (named), or a length mismatch.</exception>
    public static Matrix<double> Read(WeightingInput input, int weightsLength, string method)
    {
        Matrix<double>? gramian = input.Gramian;
        if (gramian is null)
        {
            throw new ArgumentException(
                $"{method} needs the Gramian of the per-objective gradients; the input carries none (use WeightingInput.FromGramian).",
                nameof(input));
        }

        int n = gramian.RowCount;
        if (n != gramian.ColumnCount || n == 0)
        {
            throw new ArgumentException(
                $"The Gramian must be square and non-empty; it is {gramian.RowCount} × {gramian.ColumnCount}.", nameof(input));
        }

        if (weightsLength != n)
        {
            throw new ArgumentException(
                $"The weights span has length {weightsLength} but the Gramian is {n} × {n}.", "weights");
        }

        return MgdaWeighting.SymmetricPart(gramian);
    }

    /// <summary>Largest diagonal entry maxᵢ Gᵢᵢ (0 only for G = 0 once validated).</summary>
    public static double Scale(Matrix<double> gramian)
    {
        double scale = 0.0;
        for (int i = 0; i < gramian.RowCount; i++)
        {
            scale = Math.Max(scale, gramian[i, i]);
        }

        return scale;
    }

    /// <summary>
    /// Validated copy of a preference vector p (finite, ≥ 0, not all 0), or null when none is given
    /// (the weightings then use pᵢ = 1/n).
    /// </summary>
    /// <exception cref="ArgumentException">An entry is negative or not finite (named by objective), or all are 0.</exception>
    public static double[]? Preferences(ReadOnlySpan<double> preferences, string paramName)
    {
        if (preferences.IsEmpty)
        {
            return null;
        }

        bool positive = false;
        for (int i = 0; i < preferences.Length; i++)
        {
            double p = preferences[i];
            if (!double.IsFinite(p) || p < 0.0)
            {
                string description = double.IsFinite(p) ? $"negative ({p})" : PamaSolver.Describe(p);
                throw new ArgumentException($"Preference of objective {i} is {description}.", paramName);
            }

            positive |= p > 0.0;
        }

        if (!positive)
        {
            throw new ArgumentException("All preferences are zero; at least one must be positive.", paramName);
        }

        return preferences.ToArray();
    }

    /// <summary>pᵢ from <paramref name="preferences"/>, or 1/n when null; checks the count.</summary>
    /// <exception cref="ArgumentException">The preference vector has a different length than n.</exception>
    public static double[] PreferencesFor(double[]? preferences, int n)
    {
        if (preferences is null)
        {
            double[] uniform = new double[n];
            Array.Fill(uniform, 1.0 / n);
            return uniform;
        }

        if (preferences.Length != n)
        {
            throw new ArgumentException(
                $"The weighting was given {preferences.Length} preferences but the Gramian has {n} objectives.", "input");
        }

        return preferences;
    }
}
