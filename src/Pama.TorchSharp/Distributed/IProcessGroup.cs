namespace Pama.TorchSharp.Distributed;

/// <summary>
/// The processes of a data-parallel run and the one collective the trainer needs from them: an in-place
/// sum over all ranks. Every rank must make the same calls in the same order with spans of the same length.
/// </summary>
/// <remarks>
/// PAMA needs little communication: its statistics are sums and counts, so one sum of <c>2n</c> numbers per
/// update gives every rank the same Theorem 1 weights; gradients are averaged with one more sum per update.
/// <see cref="SingleProcessGroup"/> is the one-process group (no communication); the optional
/// <c>Pama.Mpi</c> package provides an MPI implementation.
/// </remarks>
public interface IProcessGroup
{
    /// <summary>This process's rank, <c>0 ≤ Rank &lt; Size</c>. Rank 0 writes checkpoints and reports.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the group (at least 1).</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every rank with the element-wise sum over all ranks.</summary>
    /// <param name="values">This rank's contribution; the same length on every rank.</param>
    void AllReduceSum(Span<double> values);
}
