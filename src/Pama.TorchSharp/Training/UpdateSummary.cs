namespace Pama.TorchSharp.Training;

/// <summary>Aggregates of the minibatch updates of one step.</summary>
internal sealed record UpdateSummary(
    double[] Weights,
    double OptimalValue,
    int StationaryUpdates,
    int Updates,
    bool PolicyUpdated,
    double ClipFraction,
    double PolicyLoss,
    double[] ValueLosses,
    double WeightingSeconds,
    IReadOnlyList<(int Update, int[] WithoutPositiveAdvantage, int[] Flat, string Cause)> Stationary,
    double[] Statistics);
