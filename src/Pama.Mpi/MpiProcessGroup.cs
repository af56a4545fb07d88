using System.Diagnostics;
using Pama.TorchSharp.Distributed;

namespace Pama.Mpi;

/// <summary>
/// An <see cref="IProcessGroup"/> over MPI's world communicator (MPICH through MPI.NET). Create one per
/// process at start-up, pass it to the trainer, dispose it at exit (that finalises MPI).
/// </summary>
/// <remarks>
/// <para>Launch: <c>mpirun -np 2 dotnet app.dll</c>. Without <c>mpirun</c> the program runs as a group of one.</para>
/// <para>A worker that dies (killed, crashed, out of memory) makes MPICH's launcher terminate every other rank
/// within about a second ("BAD TERMINATION"), so a job never hangs in a collective; resume it from the last
/// checkpoint, which rank 0 writes, by loading that file on every rank.</para>
/// <para>A rank that fails with an exception must end the job too: an exception nobody catches calls <see cref="Abort"/>
/// (<c>MPI_Abort</c>) by itself; where the program catches it, call <see cref="Abort"/> there. Returning, or disposing the
/// group, would leave the other ranks waiting for this one.</para>
/// </remarks>
public sealed class MpiProcessGroup : IProcessGroup, IDisposable
{
    private readonly MPI.Environment _environment;
    private readonly MPI.Intracommunicator _world;
    private double[] _send = [];
    private double[] _receive = [];
    private bool _disposed;
    private long _communicationTicks;

    private MpiProcessGroup(MPI.Environment environment, MPI.Intracommunicator world)
    {
        _environment = environment;
        _world = world;
    }

    /// <summary>Initialises MPI (once per process) and returns the world group.</summary>
    /// <param name="args">The program's arguments; MPI may remove the ones it owns.</param>
    /// <exception cref="DllNotFoundException">MPICH is not installed (the message says how to install it).</exception>
    public static MpiProcessGroup Initialize(ref string[] args)
    {
        MpiLibrary.EnsureResolver();
        var environment = new MPI.Environment(ref args);
        var group = new MpiProcessGroup(environment, MPI.Communicator.world);
        // An exception nobody catches ends this process; the other ranks would then wait for it in their next collective
        // (or in MPI_Finalize). MPI_Abort ends every rank of the job at once instead.
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (group.Size == 1 || group._disposed) return;
            Console.Error.WriteLine($"rank {group.Rank}: unhandled exception, aborting every rank of the job: {e.ExceptionObject}");
            group.Abort(1);
        };
        return group;
    }

    /// <summary>How long <see cref="Abort"/> waits after flushing the console, so the launcher forwards what this rank wrote.</summary>
    private static readonly TimeSpan AbortGrace = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Ends every rank of the job now (<c>MPI_Abort</c> on the world communicator), with <paramref name="exitCode"/> as the
    /// job's exit status. Call it where a rank fails and cannot go on: returning or disposing instead would leave the other
    /// ranks waiting for this one in their next collective (a hang). It does not return.
    /// </summary>
    /// <param name="exitCode">The exit status the launcher reports.</param>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        // MPI_Abort makes the launcher kill every rank's proxy at once; on a loaded machine a proxy could die before it had
        // forwarded the message just written, and the job would end without saying why. A moment lets it pass on.
        Thread.Sleep(AbortGrace);
        MPI.Unsafe.MPI_Abort(MPI.Unsafe.MPI_COMM_WORLD, exitCode);
        Environment.Exit(exitCode);   // not reached: MPI_Abort ends the process
    }

    /// <inheritdoc />
    public int Rank => _world.Rank;

    /// <inheritdoc />
    public int Size => _world.Size;

    /// <inheritdoc />
    public void AllReduceSum(Span<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (values.Length == 0) return;
        // MPI.NET takes arrays; the buffers are kept so that a step's repeated sums allocate nothing.
        if (_send.Length != values.Length)
        {
            _send = new double[values.Length];
            _receive = new double[values.Length];
        }
        long start = Stopwatch.GetTimestamp();
        values.CopyTo(_send);
        _world.Allreduce(_send, MPI.Operation<double>.Add, ref _receive);
        _receive.AsSpan().CopyTo(values);
        _communicationTicks += Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// Wall-clock time this rank has spent in <see cref="AllReduceSum"/> since start-up: the transfer itself plus the wait for
    /// the slowest rank to arrive, so it measures what data parallelism costs over one process's work.
    /// </summary>
    public TimeSpan CommunicationTime => Stopwatch.GetElapsedTime(0, _communicationTicks);

    /// <summary>Waits until every rank reaches this point.</summary>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _world.Barrier();
    }

    /// <summary>Finalises MPI. Every rank must dispose its group.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _environment.Dispose();
    }
}
