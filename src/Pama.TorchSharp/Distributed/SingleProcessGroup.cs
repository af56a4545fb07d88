namespace Pama.TorchSharp.Distributed;

/// <summary>A group of one process: sums are the values themselves. The trainer's default.</summary>
public sealed class SingleProcessGroup : IProcessGroup
{
    /// <summary>The one-process group (stateless, so one instance serves every trainer).</summary>
    public static SingleProcessGroup Instance { get; } = new();

    private SingleProcessGroup() { }

    /// <inheritdoc />
    public int Rank => 0;

    /// <inheritdoc />
    public int Size => 1;

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values) { }
}
