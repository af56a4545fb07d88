using MathNet.Numerics.LinearAlgebra;
using Pama.Internal;

namespace Pama.Weightings;

/// <content>Building the Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ from explicit per-objective gradients.</content>
public sealed partial class MgdaWeighting
{
    /// <summary>
    /// Coordinates per cache block: the n gradient slices of one block (n · 512 doubles = 4n KiB) stay in
    /// L1/L2 while all n(n+1)/2 dot products consume them, so each gradient is streamed from memory once.
    /// </summary>
    private const int BlockLength = 512;

    /// <summary>
    /// Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ = Σₖ gᵢₖ gⱼₖ of n per-objective gradients of length d stored row-major,
    /// computed blockwise with vectorized dot products (O(n² d) flops, one pass over memory).
    /// </summary>
    /// <param name="gradientsRowMajor">n rows of d finite entries each (row i = ∇Lᵢ).</param>
    /// <param name="objectiveCount">n ≥ 1; the span length must be a positive multiple of it.</param>
    /// <returns>The exactly symmetric n × n Gramian (dense).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="objectiveCount"/> is not positive.</exception>
    /// <exception cref="ArgumentException">
    /// The length is 0 or not a multiple of n; a gradient entry is NaN or ±∞ (the message names the objective and
    /// the coordinate); or a dot product overflows.
    /// </exception>
    public static Matrix<double> Gramian(ReadOnlySpan<double> gradientsRowMajor, int objectiveCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        if (gradientsRowMajor.IsEmpty || gradientsRowMajor.Length % objectiveCount != 0)
        {
            throw new ArgumentException(
                $"The gradients span has length {gradientsRowMajor.Length}, which is not a positive multiple of objectiveCount = {objectiveCount}.",
                nameof(gradientsRowMajor));
        }

        return Build(new SpanRows(gradientsRowMajor, objectiveCount), nameof(gradientsRowMajor));
    }

    /// <summary>
    /// Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ of n per-objective gradients given as separate arrays of equal length d ≥ 1.
    /// </summary>
    /// <param name="gradients">n ≥ 1 non-null arrays of equal, positive length with finite entries.</param>
    /// <returns>The exactly symmetric n × n Gramian (dense).</returns>
    /// <exception cref="ArgumentException">
    /// No gradients, a null or differently sized gradient (named by objective index), a non-finite entry (named by
    /// objective and coordinate), or a dot product overflows.
    /// </exception>
    public static Matrix<double> Gramian(IReadOnlyList<double[]> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (gradients.Count == 0)
        {
            throw new ArgumentException("At least one gradient is required.", nameof(gradients));
        }

        for (int i = 0; i < gradients.Count; i++)
        {
            if (gradients[i] is null)
            {
                throw new ArgumentException($"The gradient of objective {i} is null.", nameof(gradients));
            }

            if (gradients[i].Length != gradients[0].Length || gradients[i].Length == 0)
            {
                throw new ArgumentException(
                    $"The gradient of objective {i} has length {gradients[i].Length}; objective 0 has {gradients[0].Length} (must be equal and positive).",
                    nameof(gradients));
            }
        }

        return Build(new JaggedRows(gradients), nameof(gradients));
    }

    private static Matrix<double> Build<TRows>(TRows rows, string paramName)
        where TRows : IGradientRows, allows ref struct
    {
        int n = rows.Count;
        int d = rows.Length;
        double[] upper = new double[n * n];
        for (int start = 0; start < d; start += BlockLength)
        {
            int length = Math.Min(BlockLength, d - start);
            for (int i = 0; i < n; i++)
            {
                var left = rows.Row(i).Slice(start, length);
                for (int j = i; j < n; j++)
                {
                    upper[(i * n) + j] += VectorMath.Dot(left, rows.Row(j).Slice(start, length));
                }
            }
        }

        var gramian = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double value = upper[(i * n) + j];
                if (!double.IsFinite(value))
                {
                    ThrowNonFiniteGradient(rows, i, j, paramName);
                }

                gramian[i, j] = value;
                gramian[j, i] = value;
            }
        }

        return gramian;
    }

    private static void ThrowNonFiniteGradient<TRows>(TRows rows, int i, int j, string paramName)
        where TRows : IGradientRows, allows ref struct
    {
        foreach (int objective in new[] { i, j })
        {
            var row = rows.Row(objective);
            for (int k = 0; k < row.Length; k++)
            {
                if (!double.IsFinite(row[k]))
                {
                    throw new ArgumentException(
                        $"The gradient of objective {objective} is {PamaSolver.Describe(row[k])} at coordinate {k}.", paramName);
                }
            }
        }

        throw new ArgumentException(
            $"Gramian entry ({i}, {j}) overflows: the gradients of objectives {i} and {j} are too large for float64.", paramName);
    }

    /// <summary>Uniform read access to n gradient rows of equal length.</summary>
    private interface IGradientRows
    {
        int Count { get; }

        int Length { get; }

        ReadOnlySpan<double> Row(int objective);
    }

    private readonly ref struct SpanRows(ReadOnlySpan<double> data, int count) : IGradientRows
    {
        private readonly ReadOnlySpan<double> data = data;

        public int Count { get; } = count;

        public int Length => data.Length / Count;

        public ReadOnlySpan<double> Row(int objective) => data.Slice(objective * Length, Length);
    }

    private readonly struct JaggedRows(IReadOnlyList<double[]> rows) : IGradientRows
    {
        public int Count => rows.Count;

        public int Length => rows[0].Length;

        public ReadOnlySpan<double> Row(int objective) => rows[objective];
    }
}
