using Pama.TorchSharp.IO;
using System.Text.Json;

namespace Pama.FineTune.Experiment;

/// <summary>
/// What a finished (method, seed) run leaves in its folder (<c>heldout.json</c>): the settings it
/// was trained with, its held-out mean rewards and responses. <c>--resume</c> skips runs whose
/// record matches the requested settings.
/// </summary>
/// <param name="Method">Method key.</param>
/// <param name="Seed">Seed.</param>
/// <param name="Steps">Training steps the run took.</param>
/// <param name="Settings">The settings fingerprint of the run (see <see cref="RunFingerprint"/>).</param>
/// <param name="MeanRewards">Objective name to held-out mean reward.</param>
/// <param name="Responses">Held-out responses, in prompt order.</param>
/// <param name="Rewards">Each held-out response's rewards, in objective order.</param>
/// <param name="SecondsPerStep">Mean wall-clock seconds of the training steps taken in the session that finished the run (0 in records written before it was kept).</param>
/// <param name="Preference">MORLHF's preference weights of a sweep run (<c>--sweep</c>), in objective order; <c>null</c> otherwise.</param>
public sealed record RunRecord(
    string Method, int Seed, int Steps, string Settings, Dictionary<string, double> MeanRewards, List<string> Responses, List<double[]> Rewards, double SecondsPerStep = 0,
    double[]? Preference = null)
{
    /// <summary>File name inside the run folder.</summary>
    public const string FileName = "heldout.json";

    /// <summary>The key of the run's arm (see <see cref="RunArm.Key"/>).</summary>
    public string ArmKey => RunArm.KeyOf(Method, Preference);

    /// <summary>Reads a record, or returns null when the file does not exist.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a record.</exception>
    public static RunRecord? TryRead(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path}: empty run record.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a run record ({e.Message}).", e);
        }
    }

    /// <summary>Writes the record atomically.</summary>
    public void Write(string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
}
