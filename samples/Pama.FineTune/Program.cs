using System.CommandLine;
using System.Runtime.InteropServices;
using Pama.FineTune.Cli;
using Pama.FineTune.Experiment;
using Pama.FineTune.Progress;
using Pama.Mpi;

// --data-parallel: MPI starts before anything else (it may take arguments of its own). Every rank runs the same
// experiment on its share of each step's prompts; rank 0 prints and writes the outputs and checkpoints, the others write
// their outputs to rank<R>/ and resume from rank 0's checkpoints.
using MpiProcessGroup? group = args.Contains("--data-parallel") ? MpiProcessGroup.Initialize(ref args) : null;
if (group is { Rank: > 0 }) Console.SetOut(TextWriter.Null);

// Ctrl+C or SIGTERM (a plain `kill`, `docker stop`, a scheduler's preemption): the run stops after the current step,
// writes the checkpoint and the outputs so far, and exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM).
// A second Ctrl+C ends the process at once.
using var interrupt = new CancellationTokenSource();
int interruptedExitCode = ExperimentRunner.InterruptedExitCode;
void RequestStop(int exitCode, string what)
{
    interruptedExitCode = exitCode;
    interrupt.Cancel();
    Console.Error.WriteLine($"{what}: stopping after the current step, then writing the checkpoint and outputs...");
}
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    RequestStop(ExperimentRunner.InterruptedExitCode, "Ctrl+C (again to abort now)");
};
using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;   // the process ends when the run has stopped, not now
    if (!interrupt.IsCancellationRequested) RequestStop(ExperimentRunner.TerminatedExitCode, "SIGTERM");
});

RootCommand command = new FineTuneCommand().Create(async (options, _) =>
{
    int exitCode;
    try
    {
        // Every rank reads its checkpoints from --out (rank 0's folder); ranks above 0 write their outputs to <out>/rank<R>/.
        exitCode = await ProgressMode.RunAsync(progress => Task.Run(() => new ExperimentRunner(options, progress, group).Run(interrupt.Token)));
        if (exitCode == ExperimentRunner.InterruptedExitCode) exitCode = interruptedExitCode;
        if (group is not null)
            Console.WriteLine($"Data parallel: {group.Size} ranks; rank {group.Rank} spent {group.CommunicationTime.TotalSeconds:F1} s in communication (sums over the ranks, waiting for the slowest included).");
    }
    catch (Exception e) when (group is { Size: > 1 })
    {
        // The other ranks cannot go on without this one, and returning would leave them waiting in a collective: end the job.
        Console.Error.WriteLine($"error on rank {group.Rank}: {(IsBadInput(e) ? e.Message : e.ToString())}");
        group.Abort(1);
        return 1;
    }
    catch (Exception e) when (IsBadInput(e))
    {
        // Bad input or state (a damaged checkpoint, --resume with other settings, no CUDA): say what, not where.
        Console.Error.WriteLine($"error: {e.Message}");
        return 1;
    }

    // The table goes after the live display has closed, so it is printed once and in full.
    string summary = Path.Combine(options.OutputDirectory, "summary.md");
    if (exitCode == 0 && File.Exists(summary)) Console.WriteLine(Environment.NewLine + File.ReadAllText(summary));
    return exitCode;
});

// Termination is handled above, not by System.CommandLine (which would cancel mid-step).
return await command.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

// Bad input or state, reported by its message alone.
static bool IsBadInput(Exception e) => e is InvalidOperationException or InvalidDataException or ArgumentException or IOException;
