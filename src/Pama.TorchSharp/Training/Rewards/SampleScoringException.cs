namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// Carries which sample a per-sample reward function failed on, from <see cref="RewardObjective"/>'s objectives to
/// <see cref="RewardScoring"/>, which reports it as an <see cref="InvalidRewardException"/> naming the objective, the sample
/// and the prompt. Called outside the trainer, such an objective throws it as is, with the original as its inner exception.
/// </summary>
internal sealed class SampleScoringException(int sampleIndex, Exception innerException)
    : Exception($"Scoring sample {sampleIndex} failed.", innerException)
{
    /// <summary>The sample whose reward function threw.</summary>
    public int SampleIndex { get; } = sampleIndex;
}
