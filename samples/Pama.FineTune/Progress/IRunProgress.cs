namespace Pama.FineTune.Progress;

/// <summary>Where the run reports what it is doing: a live Spectre.Console display on a terminal, plain lines otherwise.</summary>
public interface IRunProgress
{
    /// <summary>Starts a unit of work of <paramref name="total"/> steps (pretraining, one (method, seed) run, an evaluation).</summary>
    IProgressTask Start(string label, int total);

    /// <summary>Writes one line of information that stays on screen.</summary>
    void Log(string message);
}
