namespace Pama.FineTune.Progress;

/// <summary>Progress as plain, timestamped lines, for logs, CI and redirected output (no cursor movement, no colour).</summary>
public sealed class PlainRunProgress(TextWriter output) : IRunProgress
{
    /// <inheritdoc />
    public IProgressTask Start(string label, int total)
    {
        Write($"{label}: started ({total} steps)");
        return new LineTask(this, label, total);
    }

    /// <inheritdoc />
    public void Log(string message) => Write(message);

    private void Write(string line)
    {
        output.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");
        output.Flush();
    }

    private sealed class LineTask(PlainRunProgress owner, string label, int total) : IProgressTask
    {
        public void Report(int done, string status) => owner.Write($"{label} {done}/{total}: {status}");

        public void Complete(string status) => owner.Write($"{label}: {status}");
    }
}
