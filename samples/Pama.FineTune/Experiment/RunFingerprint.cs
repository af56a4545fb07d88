using System.Text.Json;
using System.Text.Json.Serialization;
using Pama.FineTune.Cli;

namespace Pama.FineTune.Experiment;

/// <summary>
/// The settings that must match for <c>--resume</c> to continue a run (objectives, granularity,
/// batch size, policy source, budget). Steps are not part of it: a finished run can be extended
/// by asking for more steps.
/// </summary>
public static class RunFingerprint
{
    /// <summary>A JSON text naming every setting that shapes a run's training.</summary>
    public static string Of(FineTuneOptions options, TrainingBudget budget) => JsonSerializer.Serialize(new
    {
        objectives = options.Objectives,
        granularity = options.Granularity,
        batchSize = options.BatchSize,
        model = options.ModelDirectory is null ? "embedded" : Path.GetFullPath(options.ModelDirectory),
        rewardModel = options.RewardModelDirectory is null ? null : Path.GetFullPath(options.RewardModelDirectory),
        rewardLabel = options.RewardLabel,
        prompts = options.PromptsFile is null ? "embedded" : Path.GetFullPath(options.PromptsFile),
        budget,
        lora = options.Lora is { } lora ? new { rank = lora.Rank, alpha = lora.Alpha, targets = lora.TargetModules } : null,
    }, Json);

    // The budget may hold +∞ (no gradient clipping), which plain JSON cannot.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
}
