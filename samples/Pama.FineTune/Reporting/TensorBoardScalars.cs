using Pama.TorchSharp.Training;

namespace Pama.FineTune.Reporting;

/// <summary>The TensorBoard tags of one step: each objective's mean reward, weight and statistic, then s* and KL.</summary>
public static class TensorBoardScalars
{
    /// <summary>Tags <c>reward/NAME</c>, <c>weight/NAME</c>, <c>statistic/NAME</c>, <c>s_star</c>, <c>kl</c> (NaN entries are skipped by the writer).</summary>
    public static IEnumerable<(string Tag, double Value)> Of(StepMetrics metrics, IReadOnlyList<string> objectives)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(objectives);
        for (int i = 0; i < objectives.Count; i++)
        {
            yield return ($"reward/{objectives[i]}", metrics.MeanRewards[i]);
            yield return ($"weight/{objectives[i]}", metrics.Weights[i]);
            yield return ($"statistic/{objectives[i]}", i < metrics.Statistics.Count ? metrics.Statistics[i] : double.NaN);
        }
        yield return ("s_star", metrics.OptimalValue);
        yield return ("kl", metrics.Kl);
    }
}
