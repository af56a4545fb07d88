using System.Collections.Concurrent;
using Spectre.Console;

namespace Pama.FineTune.Progress;

/// <summary>Progress as live Spectre.Console bars: one per unit of work, with its latest status (rewards, KL, ETA) beside it.</summary>
public sealed class SpectreRunProgress : IRunProgress
{
    private readonly ProgressContext _context;
    private readonly ConcurrentDictionary<int, string> _statuses;

    private SpectreRunProgress(ProgressContext context, ConcurrentDictionary<int, string> statuses)
    {
        _context = context;
        _statuses = statuses;
    }

    /// <summary>Runs <paramref name="body"/> inside a live progress display.</summary>
    public static Task<T> RunAsync<T>(Func<IRunProgress, Task<T>> body)
    {
        var statuses = new ConcurrentDictionary<int, string>();
        return AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn { Width = 20 },
                new PercentageColumn(),
                new RemainingTimeColumn(),
                new SpinnerColumn(),
                new StatusColumn(statuses))
            .StartAsync(context => body(new SpectreRunProgress(context, statuses)));
    }

    /// <inheritdoc />
    public IProgressTask Start(string label, int total) =>
        new BarTask(_context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total)), _statuses);

    /// <inheritdoc />
    public void Log(string message) => AnsiConsole.MarkupLine(Markup.Escape(message));

    private sealed class BarTask(ProgressTask task, ConcurrentDictionary<int, string> statuses) : IProgressTask
    {
        public void Report(int done, string status)
        {
            statuses[task.Id] = status;
            task.Value = done;
        }

        public void Complete(string status)
        {
            statuses[task.Id] = status;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}
