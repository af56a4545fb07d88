namespace Pama.TorchSharp.Tensors;

/// <summary>Consecutive row ranges <c>[Start, Start + Count)</c> of at most a given size that cover a batch.</summary>
internal static class MicroBatches
{
    /// <summary>Splits <paramref name="rows"/> rows into consecutive parts of <paramref name="perPart"/> rows (the last may be
    /// smaller); one part when <paramref name="perPart"/> is null or not smaller than the batch, none for an empty batch.</summary>
    public static IReadOnlyList<(long Start, long Count)> Split(long rows, long? perPart)
    {
        if (rows <= 0) return [];
        long size = perPart is { } p && p < rows ? p : rows;
        var parts = new List<(long, long)>();
        for (long start = 0; start < rows; start += size) parts.Add((start, Math.Min(size, rows - start)));
        return parts;
    }
}
