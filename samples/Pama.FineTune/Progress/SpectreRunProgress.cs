using Spectre.Console;

namespace Pama.FineTune.Progress;

/// <summary>Progress as live Spectre.Console bars: one per unit of work, with its status (rewards, KL, ETA) in the description.</summary>
public sealed class SpectreRunProgress(ProgressContext context) : IRunProgress
{
    /// <summary>Runs <paramref name="body"/> inside a live progress display.</summary>
    public static Task<T> RunAsync<T>(Func<IRunProgress, Task<T>> body) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(context => body(new SpectreRunProgress(context)));

    /// <inheritdoc />
    public IProgressTask Start(string label, int total) =>
        new BarTask(context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total)), label);

    /// <inheritdoc />
    public void Log(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    private sealed class BarTask(ProgressTask task, string label) : IProgressTask
    {
        public void Report(int done, string status)
        {
            task.Value = done;
            task.Description = $"{Markup.Escape(label)} [grey]{Markup.Escape(status)}[/]";
        }

        public void Complete(string status)
        {
            task.Value = task.MaxValue;
            task.Description = $"{Markup.Escape(label)} [green]{Markup.Escape(status)}[/]";
            task.StopTask();
        }
    }
}
