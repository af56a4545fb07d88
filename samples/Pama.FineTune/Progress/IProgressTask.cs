namespace Pama.FineTune.Progress;

/// <summary>A unit of work started by <see cref="IRunProgress.Start"/>.</summary>
public interface IProgressTask
{
    /// <summary>Reports that <paramref name="done"/> steps are finished, with a short status (rewards, KL, ETA).</summary>
    void Report(int done, string status);

    /// <summary>Marks the work finished.</summary>
    void Complete(string status);
}
