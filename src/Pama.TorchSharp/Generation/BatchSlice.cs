namespace Pama.TorchSharp.Generation;

/// <summary>
/// Where a call's rows sit in a larger batch sampled by several processes: rows <c>[Offset, Offset + B)</c> of
/// <c>TotalRows</c>. <see cref="TextGenerator.Generate"/> then draws the uniforms of the whole batch and uses its own
/// columns, so every process's generator advances alike and each row gets the tokens it would get if one process sampled
/// the whole batch.
/// </summary>
/// <param name="Offset">Index of the call's first row in the whole batch.</param>
/// <param name="TotalRows">Rows of the whole batch.</param>
public readonly record struct BatchSlice(long Offset, long TotalRows)
{
    /// <summary>Checks that <paramref name="rows"/> rows starting at <see cref="Offset"/> fit in <see cref="TotalRows"/>.</summary>
    /// <exception cref="ArgumentException">They do not.</exception>
    public void Validate(long rows)
    {
        if (Offset < 0 || rows < 0 || Offset + rows > TotalRows)
            throw new ArgumentException($"Rows [{Offset}, {Offset + rows}) do not fit in a batch of {TotalRows} rows.", "slice");
    }
}
