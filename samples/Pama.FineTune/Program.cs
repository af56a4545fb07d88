using System.CommandLine;
using Pama.FineTune.Cli;
using Pama.FineTune.Experiment;
using Pama.FineTune.Progress;

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
        exitCode = await ProgressMode.RunAsync(progress => Task.Run(() => new ExperimentRunner(options, progress).Run(interrupt.Token)));
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
