namespace Pama.TorchSharp.Distributed;

/// <summary>Conveniences over <see cref="IProcessGroup.AllReduceSum"/>.</summary>
public static class ProcessGroupExtensions
{
    /// <summary>Returns the element-wise sum of <paramref name="values"/> over the group (a copy; the input is unchanged).</summary>
    public static double[] Sum(this IProcessGroup group, params double[] values)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(values);
        double[] result = [.. values];
        if (group.Size > 1) group.AllReduceSum(result);
        return result;
    }

    /// <summary>Every rank's <paramref name="count"/>, indexed by rank (one sum of a one-hot vector).</summary>
    public static long[] Gather(this IProcessGroup group, long count)
    {
        ArgumentNullException.ThrowIfNull(group);
        var slots = new double[group.Size];
        slots[group.Rank] = count;
        if (group.Size > 1) group.AllReduceSum(slots);
        return [.. slots.Select(v => (long)v)];
    }
}
