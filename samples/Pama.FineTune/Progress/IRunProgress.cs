namespace Pama.FineTune.Progress;

/// <summary>Where the run reports what it is doing: a live Spectre.Console display on a terminal, plain lines otherwise.</summary>
public interface IRunProgress
{
    /// <summary>Starts a unit of work of <paramref name="total"/> steps (pretraining, one (method, seed) run, an evaluation).</summary>
    IProgressTask Start(string label, int total);

    /// <summary>Writes one line of information that stays on screen.</summary>
    void Log(string message);
}

/// <summary>A unit of work started by <see cref="IRunProgress.Start"/>.</summary>
public interface IProgressTask
{
    /// <summary>Reports that <paramref name="done"/> steps are finished, with a short status (rewards, KL, ETA).</summary>
    void Report(int done, string status);

    /// <summary>Marks the work finished.</summary>
    void Complete(string status);
}
