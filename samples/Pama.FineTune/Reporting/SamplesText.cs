using System.Globalization;
using System.Text;
using Pama.FineTune.Experiment;

namespace Pama.FineTune.Reporting;

/// <summary>Builds <c>samples.txt</c>: for a few held-out prompts, the response before alignment and after each method, with their rewards.</summary>
public static class SamplesText
{
    /// <summary>The text of <c>samples.txt</c>.</summary>
    /// <param name="prompts">Held-out prompts, in evaluation order.</param>
    /// <param name="objectives">Objective names.</param>
    /// <param name="before">The pretrained policy's evaluation per seed.</param>
    /// <param name="runs">Finished runs.</param>
    /// <param name="seed">Which seed's responses to show.</param>
    /// <param name="count">How many prompts to show.</param>
    public static string Build(
        IReadOnlyList<string> prompts,
        IReadOnlyList<string> objectives,
        IReadOnlyDictionary<int, HeldOutEvaluator.Evaluation> before,
        IReadOnlyList<RunRecord> runs,
        int seed,
        int count)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Held-out prompts (never used in training), seed {seed}: the prompt in [brackets], then each policy's continuation and its rewards.");
        HeldOutEvaluator.Evaluation? initial = before.GetValueOrDefault(seed);
        RunRecord[] shown = runs.Where(r => r.Seed == seed).ToArray();
        for (int p = 0; p < Math.Min(count, prompts.Count); p++)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"#{p + 1} [{prompts[p]}]");
            if (initial is not null)
            {
                string scores = string.Join(", ", objectives.Select((o, i) => string.Create(CultureInfo.InvariantCulture, $"{o} {initial.Rewards[p, i]:F3}")));
                text.AppendLine(CultureInfo.InvariantCulture, $"  before alignment ({scores}):");
                text.AppendLine("    " + initial.Responses[p].Trim());
            }

            foreach (RunRecord run in shown)
            {
                string scores = string.Join(", ", objectives.Select((o, i) => string.Create(CultureInfo.InvariantCulture, $"{o} {run.Rewards[p][i]:F3}")));
                text.AppendLine(CultureInfo.InvariantCulture, $"  after {RunArm.TitleOf(run.ArmKey)} ({scores}):");
                text.AppendLine("    " + run.Responses[p].Trim());
            }
        }

        return text.ToString();
    }
}
