using System.Collections.Concurrent;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Pama.FineTune.Progress;

/// <summary>
/// A progress column showing a task's latest status line (rewards, KL, ETA) in its own column, so
/// that on a narrow terminal the status wraps onto further lines while the task's name stays whole.
/// </summary>
/// <param name="statuses">Status text by <see cref="ProgressTask.Id"/>, written by the reporter and read at each refresh.</param>
public sealed class StatusColumn(ConcurrentDictionary<int, string> statuses) : ProgressColumn
{
    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
        new Markup(Markup.Escape(statuses.GetValueOrDefault(task.Id, "")), new Style(Color.Grey));
}
