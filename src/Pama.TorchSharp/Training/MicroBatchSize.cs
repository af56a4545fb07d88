namespace Pama.TorchSharp.Training;

/// <summary>
/// How many rows one forward pass holds (and, in the update, one backward): a fixed number of rows, or as many rows as fit
/// a budget of padded tokens, <c>rows × (P + T)</c>, the width every row of a step's layout has (what the activations scale
/// with). A split changes memory and time only: the step's statistics, weights, losses and gradients are those of the whole
/// batch or minibatch (docs/trainer.md, "Fitting a real model").
/// </summary>
public sealed record MicroBatchSize
{
    private MicroBatchSize(int? rows, long? tokens)
    {
        MaxRows = rows;
        MaxTokens = tokens;
    }

    /// <summary>At most <paramref name="rows"/> rows per pass.</summary>
    /// <param name="rows">Rows per pass, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rows"/> is below 1.</exception>
    public static MicroBatchSize Rows(int rows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        return new MicroBatchSize(rows, null);
    }

    /// <summary>As many rows per pass as fit <paramref name="tokens"/> padded tokens (at least one whole row must fit).</summary>
    /// <param name="tokens">Padded tokens per pass, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is below 1.</exception>
    public static MicroBatchSize Tokens(long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1L);
        return new MicroBatchSize(null, tokens);
    }

    /// <summary>The row limit of <see cref="Rows"/>, or <c>null</c> for a token budget.</summary>
    public int? MaxRows { get; }

    /// <summary>The token budget of <see cref="Tokens"/>, or <c>null</c> for a row limit.</summary>
    public long? MaxTokens { get; }

    /// <summary>Rows per pass for sequences of <paramref name="width"/> positions.</summary>
    /// <param name="width">Positions per row, <c>P + T</c>.</param>
    /// <param name="option">The option's name, for the message.</param>
    /// <exception cref="ArgumentException">The token budget is smaller than one row.</exception>
    internal long RowsFor(long width, string option)
    {
        if (MaxRows is { } rows) return rows;
        long budget = MaxTokens!.Value;
        if (budget < width)
            throw new ArgumentException(
                $"{option} is a budget of {budget} tokens, smaller than one row of {width} positions (prompt plus response); " +
                $"raise it to at least {width} or use {nameof(MicroBatchSize)}.{nameof(Rows)}.", option);
        return budget / width;
    }

    /// <inheritdoc />
    public override string ToString() => MaxRows is { } rows ? $"{rows} rows" : $"{MaxTokens} tokens";
}
