namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// An objective returned a non-finite reward or the wrong number of rewards. Thrown before any
/// parameter changes, so the step can be retried or the objective fixed.
/// </summary>
public sealed class InvalidRewardException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="objectiveIndex">Index of the objective.</param>
    /// <param name="objectiveName">Name of the objective.</param>
    /// <param name="sampleIndex">Index of the offending sample, or <c>null</c> when the count was wrong.</param>
    /// <param name="message">What went wrong.</param>
    public InvalidRewardException(int objectiveIndex, string objectiveName, int? sampleIndex, string message)
        : base(message)
    {
        ObjectiveIndex = objectiveIndex;
        ObjectiveName = objectiveName;
        SampleIndex = sampleIndex;
    }

    /// <summary>Index of the objective.</summary>
    public int ObjectiveIndex { get; }

    /// <summary>Name of the objective.</summary>
    public string ObjectiveName { get; }

    /// <summary>Index of the offending sample, or <c>null</c> when the objective returned the wrong number of rewards.</summary>
    public int? SampleIndex { get; }
}
