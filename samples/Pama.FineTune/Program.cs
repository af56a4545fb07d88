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

RootCommand command = new FineTuneCommand().Create((options, _) =>
    ProgressMode.RunAsync(progress => Task.Run(() => new ExperimentRunner(options, progress).Run(interrupt.Token))));

// Termination is handled above, not by System.CommandLine (which would cancel mid-step).
return await command.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
