using System.Text;
using System.Text.RegularExpressions;
using Pama.Examples;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using Xunit;

namespace Pama.TorchSharp.Tests.Examples;

/// <summary>
/// Every C# block of README.md is a region of samples/Pama.Examples, which is compiled with the solution; this test
/// checks that each block equals its region and runs every example on a small random GPT-2. A block is tied to its
/// region by the line <c>&lt;!-- example: NAME --&gt;</c> right above the fence, so sections can move freely; a region is
/// the lines between <c>// readme:NAME</c> and <c>// readme:end</c> (several such runs of one NAME are concatenated, each
/// with the indentation of its marker removed).
/// </summary>
public sealed partial class ReadmeExamplesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-readme-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "PAMA.sln"))) return directory.FullName;
        throw new InvalidOperationException("PAMA.sln not found above the test binaries.");
    }

    [GeneratedRegex(@"^<!-- example: (?<name>[a-z0-9-]+) -->$")]
    private static partial Regex ExampleMarker();

    [GeneratedRegex(@"^(?<indent>\s*)// readme:(?<name>[a-z0-9-]+)$")]
    private static partial Regex RegionMarker();

    /// <summary>README blocks by example name, in order; every <c>```csharp</c> fence must carry a marker.</summary>
    private static Dictionary<string, string> ReadmeBlocks(string readme)
    {
        string[] lines = File.ReadAllText(readme).ReplaceLineEndings("\n").Split('\n');
        var blocks = new Dictionary<string, string>();
        for (int l = 0; l < lines.Length; l++)
        {
            if (lines[l].Trim() != "```csharp") continue;
            Match marker = l > 0 ? ExampleMarker().Match(lines[l - 1]) : Match.Empty;
            Assert.True(marker.Success, $"README.md line {l + 1}: a ```csharp block without an '<!-- example: NAME -->' line above it is not compiled or run.");
            var text = new StringBuilder();
            int end = l + 1;
            for (; end < lines.Length && lines[end] != "```"; end++) text.Append(lines[end]).Append('\n');
            Assert.True(end < lines.Length, $"README.md line {l + 1}: unterminated code block.");
            Assert.True(blocks.TryAdd(marker.Groups["name"].Value, text.ToString()), $"README.md line {l}: example '{marker.Groups["name"].Value}' appears twice.");
            l = end;
        }
        return blocks;
    }

    /// <summary>Example regions of the example sources by name.</summary>
    private static Dictionary<string, string> Regions(string directory)
    {
        var regions = new Dictionary<string, StringBuilder>();
        foreach (string file in Directory.GetFiles(directory, "*.cs").Order(StringComparer.Ordinal))
        {
            string[] lines = File.ReadAllText(file).ReplaceLineEndings("\n").Split('\n');
            for (int l = 0; l < lines.Length; l++)
            {
                Match marker = RegionMarker().Match(lines[l]);
                if (!marker.Success || marker.Groups["name"].Value == "end") continue;
                string indent = marker.Groups["indent"].Value, name = marker.Groups["name"].Value;
                StringBuilder text = regions.TryGetValue(name, out var existing) ? existing : regions[name] = new StringBuilder();
                for (l++; l < lines.Length && lines[l].Trim() != "// readme:end"; l++)
                {
                    Assert.True(lines[l].Length == 0 || lines[l].StartsWith(indent, StringComparison.Ordinal),
                        $"{Path.GetFileName(file)} line {l + 1}: indented less than its '// readme:{name}' marker.");
                    text.Append(lines[l].Length == 0 ? "" : lines[l][indent.Length..]).Append('\n');
                }
                Assert.True(l < lines.Length, $"{Path.GetFileName(file)}: region '{name}' has no '// readme:end'.");
            }
        }
        return regions.ToDictionary(r => r.Key, r => r.Value.ToString());
    }

    [Fact]
    public void EveryReadmeBlockIsAnExampleRegionVerbatim()
    {
        string root = Root();
        Dictionary<string, string> blocks = ReadmeBlocks(Path.Combine(root, "README.md"));
        Dictionary<string, string> regions = Regions(Path.Combine(root, "samples", "Pama.Examples"));

        Assert.NotEmpty(blocks);
        foreach (var (name, block) in blocks)
        {
            Assert.True(regions.TryGetValue(name, out string? region), $"README example '{name}' has no region in samples/Pama.Examples.");
            Assert.Equal(region, block);
        }
        Assert.Empty(regions.Keys.Except(blocks.Keys));   // no example region is missing from the README
    }

    [Fact]
    public void SolverExampleGivesTheDocumentedValues()
    {
        // The README states s* = 0 for [0.8, −0.1, 0.3] and s* = 0.1 for [0.4, 0.1, 0.1] (Theorem 1: the projection of 0).
        Assert.Equal(0.1, SolverExample.Run(), 15);
    }

    [Fact]
    public void CustomLoopExampleTakesAPamaStep()
    {
        string model = TinyCheckpoint.Create(Path.Combine(_directory, "model"));
        var (weights, optimalValue, policyUpdated) = CustomLoopExample.Run(model, ["The movie was", "My favourite food is"], maxNewTokens: 6);

        Assert.Equal(2, weights.Count);
        Assert.Equal(1.0, weights.Sum(), 12);
        // Both rewards are positive and the first update has u = 1 and no KL yet, so every a_i > 0: s* = min a_i > 0.
        Assert.True(optimalValue > 0);
        Assert.True(policyUpdated);
    }

    [Fact]
    public void TrainerExampleStepsSavesAndResumes()
    {
        string model = TinyCheckpoint.Create(Path.Combine(_directory, "model"));
        string checkpoint = Path.Combine(_directory, "run.ckpt");
        string[][] batches = [["The movie was", "My favourite food is"]];

        List<StepMetrics> first = TrainerExample.Run(model, batches, checkpoint, maxNewTokens: 6);
        List<StepMetrics> resumed = TrainerExample.Run(model, batches, checkpoint, maxNewTokens: 6);

        Assert.Equal(1, Assert.Single(first).Step);
        Assert.Equal(2, Assert.Single(resumed).Step);   // the second run loaded the first run's checkpoint
    }

    [Fact]
    public void OwnResponsesAndGenerationExamplesRun()
    {
        string model = TinyCheckpoint.Create(Path.Combine(_directory, "model"));
        CheckpointExample.Run(model, Path.Combine(_directory, "saved"));
        using var policy = Gpt2Model.FromPretrained(Path.Combine(_directory, "saved"));
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        long[] responseIds = GenerationExample.Run(policy, tokenizer);
        Assert.True(responseIds.Length > 0 && responseIds.Length <= 2 * 48 && responseIds.Length % 2 == 0);

        using var trainer = new PamaTrainer<Gpt2Model>(policy, policy.Clone(), tokenizer,
            [RewardObjective.FromText("first", (p, r) => 0), RewardObjective.FromText("second", (p, r) => 0)], new PamaTrainerOptions());
        StepMetrics metrics = OwnResponsesExample.Run(trainer, tokenizer);
        // The rewards are the given table's column means: (0.9 + 0.4) / 2 and (0.2 + 0.7) / 2.
        Assert.Equal(0.65, metrics.MeanRewards[0], 6);
        Assert.Equal(0.45, metrics.MeanRewards[1], 6);
    }
}
