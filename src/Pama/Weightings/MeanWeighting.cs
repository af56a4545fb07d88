namespace Pama.Weightings;

/// <summary>
/// The mean of the objectives, wᵢ = 1/n: the baseline every multi-task method is compared with (linear
/// scalarisation with equal preferences; TorchJD's Mean).
/// </summary>
/// <remarks>Stateless and thread-safe; needs only <see cref="WeightingInput.ObjectiveCount"/>, so a caller forms no Gramian for it.</remarks>
public sealed class MeanWeighting : IWeighting
{
    /// <inheritdoc />
    public WeightingInputs Reads => WeightingInputs.ObjectiveCount;

    /// <summary>Writes wᵢ = 1/n into <paramref name="weights"/>.</summary>
    /// <param name="input">Any input; only its objective count is read.</param>
    /// <param name="weights">Receives the n weights.</param>
    /// <returns><see cref="double.NaN"/>: the mean solves no problem.</returns>
    /// <exception cref="ArgumentException">The length of <paramref name="weights"/> differs from n, or the input is empty.</exception>
    public double ComputeWeights(WeightingInput input, Span<double> weights)
    {
        CheckCount(input, weights.Length);
        weights.Fill(1.0 / weights.Length);
        return double.NaN;
    }

    /// <summary>Checks that the input has n ≥ 1 objectives and the weights span n entries.</summary>
    internal static void CheckCount(WeightingInput input, int weightsLength)
    {
        if (input.ObjectiveCount == 0)
        {
            throw new ArgumentException("The input describes no objectives (default(WeightingInput)).", nameof(input));
        }

        if (weightsLength != input.ObjectiveCount)
        {
            throw new ArgumentException(
                $"The weights span has length {weightsLength} but the input has {input.ObjectiveCount} objectives.", "weights");
        }
    }
}
