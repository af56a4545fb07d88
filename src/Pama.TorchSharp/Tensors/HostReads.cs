using static TorchSharp.torch;

namespace Pama.TorchSharp.Tensors;

/// <summary>
/// The one place where the library copies tensor values to host memory. On a GPU each call waits for the device, so the
/// trainer and the generator keep them few (at most two per micro-batch in an update; one per decode step and one every
/// <see cref="Generation.TextGenerator.CheckInterval"/> steps in generation); the banned-API analyzer keeps
/// <c>item</c>, <c>data</c> and <c>cpu</c> out of every other file (BannedSymbols.HostReads.txt), and
/// <see cref="HostReadCounter"/> lets a test count them.
/// </summary>
internal static class HostReads
{
#pragma warning disable RS0030 // the one place allowed to read tensors on the host
    /// <summary>The values of <paramref name="values"/> (any numeric type, any device) as float64, in row-major order.</summary>
    public static double[] Doubles(Tensor values)
    {
        HostReadCounter.Record();
        if (values.numel() == 0) return [];
        using var scope = NewDisposeScope();
        return values.detach().to(ScalarType.Float64).contiguous().cpu().data<double>().ToArray();
    }

    /// <summary>The values of <paramref name="values"/> (any integer or boolean type, any device) as int64, in row-major order.</summary>
    public static long[] Longs(Tensor values)
    {
        HostReadCounter.Record();
        if (values.numel() == 0) return [];
        using var scope = NewDisposeScope();
        return values.detach().to(ScalarType.Int64).contiguous().cpu().data<long>().ToArray();
    }

    /// <summary>The values of a boolean tensor, in row-major order.</summary>
    public static bool[] Bools(Tensor values)
    {
        HostReadCounter.Record();
        if (values.numel() == 0) return [];
        using var scope = NewDisposeScope();
        return values.detach().to(ScalarType.Bool).contiguous().cpu().data<bool>().ToArray();
    }

    /// <summary>A contiguous host copy of <paramref name="values"/> in its own type (for files and checksums: read its
    /// <c>bytes</c>), a new tensor that the caller disposes (or its dispose scope does).</summary>
    public static Tensor Host(Tensor values)
    {
        HostReadCounter.Record();
        return values.detach().cpu().contiguous();
    }

    /// <summary>A one-element tensor's value as float64.</summary>
    public static double Double(Tensor value) => Single(Doubles(value), value);

    /// <summary>A one-element integer tensor's value as int64.</summary>
    public static long Long(Tensor value) => Single(Longs(value), value);

    /// <summary>A one-element boolean tensor's value.</summary>
    public static bool Bool(Tensor value) => Single(Bools(value), value);
#pragma warning restore RS0030

    private static T Single<T>(T[] values, Tensor tensor) => values.Length == 1 ? values[0]
        : throw new ArgumentException($"Expected one value, got a tensor of shape [{string.Join(", ", tensor.shape)}].", nameof(tensor));
}

/// <summary>
/// Counts the <see cref="HostReads"/> of the code that runs on this asynchronous flow while it is open (nested counters all
/// count). A diagnostic for tests: nothing is counted, and nothing is stored, when no counter is open.
/// </summary>
internal sealed class HostReadCounter : IDisposable
{
    // Per asynchronous flow, so parallel tests and other threads' reads are not counted; empty unless a counter is open.
    private static readonly AsyncLocal<HostReadCounter?> Open = new();
    private readonly HostReadCounter? _outer;

    private HostReadCounter(HostReadCounter? outer) => _outer = outer;

    /// <summary>Reads counted so far.</summary>
    public int Count { get; private set; }

    /// <summary>Opens a counter on this flow.</summary>
    public static HostReadCounter Start()
    {
        var counter = new HostReadCounter(Open.Value);
        Open.Value = counter;
        return counter;
    }

    internal static void Record()
    {
        for (HostReadCounter? c = Open.Value; c is not null; c = c._outer) c.Count++;
    }

    /// <summary>Closes the counter; the enclosing one, if any, keeps counting.</summary>
    public void Dispose() => Open.Value = _outer;
}
