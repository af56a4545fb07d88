namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// An objective failed to score a batch: it threw (a reward model or a remote scorer failed; the original exception is the
/// <see cref="Exception.InnerException"/>), or it returned a non-finite reward or the wrong number of rewards. Thrown before
/// any parameter changes, so the step can be retried or the objective fixed.
/// </summary>
public sealed class InvalidRewardException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="objectiveIndex">Index of the objective.</param>
    /// <param name="objectiveName">Name of the objective.</param>
    /// <param name="sampleIndex">Index of the offending sample, or <c>null</c> when the count was wrong.</param>
    /// <param name="message">What went wrong.</param>
    public InvalidRewardException(int objectiveIndex, string objectiveName, int? sampleIndex, string message)
        : this(objectiveIndex, objectiveName, sampleIndex, message, null)
    {
    }

    /// <summary>Creates the exception for an objective that threw.</summary>
    /// <param name="objectiveIndex">Index of the objective.</param>
    /// <param name="objectiveName">Name of the objective.</param>
    /// <param name="sampleIndex">Index of the sample being scored, or <c>null</c> when not known (the objective scores whole batches).</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">What the objective threw.</param>
    public InvalidRewardException(int objectiveIndex, string objectiveName, int? sampleIndex, string message, Exception? innerException)
        : base(message, innerException)
    {
        ObjectiveIndex = objectiveIndex;
        ObjectiveName = objectiveName;
        SampleIndex = sampleIndex;
    }

    /// <summary>Index of the objective.</summary>
    public int ObjectiveIndex { get; }

    /// <summary>Name of the objective.</summary>
    public string ObjectiveName { get; }

    /// <summary>Index of the offending sample, or <c>null</c> when the objective returned the wrong number of rewards or threw
    /// while scoring the whole batch.</summary>
    public int? SampleIndex { get; }
}
