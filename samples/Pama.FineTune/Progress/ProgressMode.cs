using Spectre.Console;

namespace Pama.FineTune.Progress;

/// <summary>Chooses between the live display and plain lines.</summary>
public static class ProgressMode
{
    /// <summary>
    /// True when a person is watching a terminal: output not redirected, the terminal interactive
    /// and <c>CI</c> not set. Anything else (pipes, files, CI runners) gets plain lines.
    /// </summary>
    public static bool IsLive =>
        !Console.IsOutputRedirected
        && AnsiConsole.Profile.Capabilities.Interactive
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Runs <paramref name="body"/> with the progress reporter that suits the console.</summary>
    public static Task<T> RunAsync<T>(Func<IRunProgress, Task<T>> body) =>
        IsLive ? SpectreRunProgress.RunAsync(body) : body(new PlainRunProgress(Console.Out));
}
