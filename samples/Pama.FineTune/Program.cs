using System.CommandLine;
using Pama.FineTune.Cli;
using Pama.FineTune.Experiment;
using Pama.FineTune.Progress;
using Pama.Mpi;

// --data-parallel: MPI starts before anything else (it may take arguments of its own). Every rank runs the same
// experiment on its share of each step's prompts; rank 0 prints and writes the outputs, the others write to rank<R>/.
using MpiProcessGroup? group = args.Contains("--data-parallel") ? MpiProcessGroup.Initialize(ref args) : null;
if (group is { Rank: > 0 }) Console.SetOut(TextWriter.Null);

// Ctrl+C: the first press asks the run to stop after the current step (checkpoint and outputs are
// written, exit code 130); a second press ends the process at once.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    e.Cancel = true;
    interrupt.Cancel();
    Console.Error.WriteLine("Stopping after the current step (Ctrl+C again to abort now)...");
};

RootCommand command = new FineTuneCommand().Create(async (options, _) =>
{
    int exitCode;
    try
    {
        FineTuneOptions rankOptions = group is { Rank: > 0 }
            ? options with { OutputDirectory = Path.Combine(options.OutputDirectory, $"rank{group.Rank}") }
            : options;
        exitCode = await ProgressMode.RunAsync(progress => Task.Run(() => new ExperimentRunner(rankOptions, progress, group).Run(interrupt.Token)));
        if (group is not null)
            Console.WriteLine($"Data parallel: {group.Size} ranks; rank {group.Rank} spent {group.CommunicationTime.TotalSeconds:F1} s in communication (sums over the ranks, waiting for the slowest included).");
    }
    catch (Exception e) when (e is InvalidOperationException or InvalidDataException or ArgumentException or IOException)
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
