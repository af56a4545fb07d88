using System.Text.Json;
using Pama.FineTune.Cli;
using Pama.FineTune.Experiment;
using Pama.FineTune.Reporting;
using Pama.TorchSharp.Training.Methods;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>
/// The preference sweep and the set view of <c>summary.json</c>: the lattice by its definition, the run plan, and the
/// front's reference and hypervolumes recomputed from the <c>runs</c> entries with an independent inclusion-exclusion volume.
/// </summary>
public sealed class SweepAndFrontTests
{
    private static readonly string[] Objectives = ["sentiment", "length"];

    private static HeldOutResult Run(string method, int seed, double[] before, double[] after, double[]? preference = null, string[]? objectives = null)
    {
        objectives ??= Objectives;
        return new(method, seed,
            objectives.Select((o, i) => (o, before[i])).ToDictionary(p => p.o, p => p.Item2),
            objectives.Select((o, i) => (o, after[i])).ToDictionary(p => p.o, p => p.Item2),
            1.0, preference);
    }

    [Fact]
    public void TwoObjectiveSweepIsOneMinusTAndT()
    {
        IReadOnlyList<double[]> lattice = PreferenceLattice.Of(2, 5);
        Assert.Equal(5, lattice.Count);
        for (int k = 0; k < 5; k++)
        {
            double t = k / 4.0;
            Assert.Equal([1 - t, t], lattice[k]);
        }

        Assert.Equal([[1.0, 0.0], [0.0, 1.0]], PreferenceLattice.Of(2, 2));
    }

    [Theory]
    [InlineData(3, 3, 6)]
    [InlineData(3, 4, 10)]
    [InlineData(3, 5, 15)]
    [InlineData(4, 3, 10)]
    [InlineData(4, 5, 35)]
    public void SimplexLatticeHoldsEveryGridPointOfTheSimplexOnce(int objectives, int pointsPerEdge, int expectedCount)
    {
        // C(K + n - 2, n - 1) points, every one on the simplex, its coordinates multiples of 1/(K - 1), none twice, the vertices among them.
        IReadOnlyList<double[]> lattice = PreferenceLattice.Of(objectives, pointsPerEdge);
        int divisions = pointsPerEdge - 1;
        Assert.Equal(expectedCount, lattice.Count);
        Assert.All(lattice, p =>
        {
            Assert.Equal(objectives, p.Length);
            Assert.Equal(1.0, p.Sum(), 12);
            Assert.All(p, w => Assert.Equal(Math.Round(w * divisions), w * divisions, 9));
        });
        Assert.Equal(lattice.Count, lattice.Select(p => string.Join(",", p.Select(w => Math.Round(w * divisions)))).Distinct().Count());
        for (int i = 0; i < objectives; i++) Assert.Contains(lattice, p => p[i] == 1.0);

        // Brute force: every integer vector with entries 0..K-1 summing to K-1 is in the lattice.
        int grid = 0;
        foreach (int[] shares in Enumerable.Range(0, (int)Math.Pow(pointsPerEdge, objectives))
                     .Select(code => Enumerable.Range(0, objectives).Select(i => code / (int)Math.Pow(pointsPerEdge, i) % pointsPerEdge).ToArray()))
        {
            if (shares.Sum() != divisions) continue;
            grid++;
            Assert.Contains(lattice, p => p.Select(w => (int)Math.Round(w * divisions)).SequenceEqual(shares));
        }

        Assert.Equal(grid, lattice.Count);
    }

    [Fact]
    public void LatticeRejectsFewerThanTwoPointsOrObjectives()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PreferenceLattice.Of(2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PreferenceLattice.Of(1, 3));
    }

    [Fact]
    public void SweepReplacesMorlhfOrIsAddedAfterTheRequestedMethods()
    {
        Assert.Equal(["pama", "morlhf", "mgda-ub"], RunArm.Plan(["pama", "morlhf", "mgda-ub"], 2, 0).Select(a => a.Key));
        Assert.Equal(["pama", "mgda-ub", "morlhf@1/0", "morlhf@0.5/0.5", "morlhf@0/1"], RunArm.Plan(["pama", "mgda-ub"], 2, 3).Select(a => a.Key));
        Assert.Equal(["pama", "morlhf@1/0", "morlhf@0/1", "mgda-ub"], RunArm.Plan(["pama", "morlhf", "mgda-ub"], 2, 2).Select(a => a.Key));
        Assert.Equal(6, RunArm.Plan(["pama"], 3, 3).Count(a => a.Preference is not null));
        Assert.Equal("MORLHF (0.5, 0.5)", RunArm.TitleOf("morlhf@0.5/0.5"));
        Assert.Equal("morlhf", RunArm.MethodOf("morlhf@0.5/0.5"));
        Assert.Equal("morlhf-w0.25-0.75-seed2", new RunArm("morlhf", [0.25, 0.75]).DirectoryName(2));
    }

    [Fact]
    public void SweepRunsTrainMorlhfAtTheirPreference()
    {
        var options = TrainingBudget.Tiny.TrainerOptions("morlhf", "batch", 1, 0, [0.25, 0.75]);
        Assert.Equal([0.25, 0.75], Assert.IsType<MorlhfMethod>(options.Method).Weights);
        Assert.Null(Assert.IsType<MorlhfMethod>(TrainingBudget.Tiny.TrainerOptions("morlhf", "batch", 1, 0).Method).Weights);
        Assert.Throws<ArgumentException>(() => TrainingBudget.Tiny.TrainerOptions("pama", "batch", 1, 0, [0.5, 0.5]));
    }

    [Fact]
    public void SweepOptionBindsAndRejectsFewerThanTwoPoints()
    {
        static FineTuneOptions? Bind(params string[] args)
        {
            FineTuneOptions? bound = null;
            var result = new FineTuneCommand().Create((o, _) => { bound = o; return Task.FromResult(0); }).Parse(args);
            if (result.Errors.Count == 0) result.Invoke();
            return bound;
        }

        Assert.Equal(0, Bind()!.Sweep);
        Assert.Equal(5, Bind("--sweep", "5")!.Sweep);
        Assert.Null(Bind("--sweep", "1"));
        Assert.Null(Bind("--sweep", "0"));
    }

    [Fact]
    public void FrontOfSummaryJsonAgreesWithAnIndependentHypervolumeOverTheRuns()
    {
        // Two seeds; the sweep has three preferences; PAMA seed 2 lies below the reference in length and adds nothing.
        HeldOutResult[] runs =
        [
            Run("pama", 1, [0.0, 0.8], [0.6, 1.4]),
            Run("pama", 2, [0.2, 0.7], [1.9, 0.7]),
            Run("mgda-ub", 1, [0.0, 0.8], [0.4, 1.45]),
            Run("mgda-ub", 2, [0.2, 0.7], [0.5, 1.2]),
            Run("morlhf", 1, [0.0, 0.8], [2.8, 0.8], [1, 0]),
            Run("morlhf", 2, [0.2, 0.7], [2.6, 0.9], [1, 0]),
            Run("morlhf", 1, [0.0, 0.8], [1.5, 1.2], [0.5, 0.5]),
            Run("morlhf", 2, [0.2, 0.7], [1.2, 1.3], [0.5, 0.5]),
            Run("morlhf", 1, [0.0, 0.8], [0.7, 1.48], [0, 1]),
            Run("morlhf", 2, [0.2, 0.7], [0.3, 1.46], [0, 1]),
        ];
        using JsonDocument document = JsonDocument.Parse(RunSummary.From(Objectives, [1, 2], 10, runs).ToJson());
        JsonElement root = document.RootElement;
        JsonElement front = root.GetProperty("front");
        Assert.Equal("after", front.GetProperty("finalPoint").GetString());

        // Reference: the mean of every run's "before": sentiment (5·0 + 5·0.2)/10, length (5·0.8 + 5·0.7)/10.
        Assert.Equal(0.1, front.GetProperty("reference").GetProperty("sentiment").GetDouble(), 12);
        Assert.Equal(0.75, front.GetProperty("reference").GetProperty("length").GetDouble(), 12);
        AssertFrontMatchesRuns(root);

        // By hand for PAMA: only (0.6, 1.4) counts (length 0.7 < 0.75): (0.6 − 0.1)·(1.4 − 0.75).
        Assert.Equal(0.5 * 0.65, front.GetProperty("hypervolume").GetProperty("pama").GetDouble(), 12);
        Assert.Equal(2, front.GetProperty("methods").GetProperty("pama").GetProperty("points").GetInt32());
        Assert.Equal(6, front.GetProperty("methods").GetProperty("morlhf").GetProperty("points").GetInt32());

        // Each preference alone. (1, 0) has (2.8, 0.8) and (2.6, 0.9) over (0.1, 0.75), by strips: sentiment 0.1 to 2.6 covers
        // length up to 0.9 (2.5·0.15), sentiment 2.6 to 2.8 up to 0.8 (0.2·0.05).
        JsonElement[] preferences = [.. front.GetProperty("preferences").EnumerateArray()];
        Assert.Equal(3, preferences.Length);
        Assert.Equal([1.0, 0.0], preferences[0].GetProperty("preference").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal((2.5 * 0.15) + (0.2 * 0.05), preferences[0].GetProperty("hypervolume").GetDouble(), 12);
        Assert.Equal(2, preferences[0].GetProperty("points").GetInt32());

        // Three runs per seed carry a preference; runs outside the sweep carry none.
        JsonElement[] entries = [.. root.GetProperty("runs").EnumerateArray()];
        Assert.Equal(6, entries.Count(e => e.TryGetProperty("preference", out _)));
        Assert.All(entries.Where(e => e.GetProperty("method").GetString() != "morlhf"), e => Assert.False(e.TryGetProperty("preference", out _)));
        Assert.Equal([0.5, 0.5], entries[6].GetProperty("preference").EnumerateArray().Select(e => e.GetDouble()));

        // Dominance: PAMA seed 1 (0.6, 1.4) is dominated by MORLHF (0, 1) seed 1 (0.7, 1.48); PAMA seed 2 (1.9, 0.7) by
        // MORLHF (1, 0) seeds 1 and 2; MGDA-UB seed 1 (0.4, 1.45) by (0.7, 1.48); MGDA-UB seed 2 (0.5, 1.2) by three.
        Assert.Equal(2, front.GetProperty("methods").GetProperty("pama").GetProperty("dominated").GetInt32());
        Assert.Equal(JsonValueKind.Null, front.GetProperty("methods").GetProperty("morlhf").GetProperty("dominated").ValueKind);
        string markdown = RunSummary.From(Objectives, [1, 2], 10, runs).ToMarkdown();
        Assert.Contains("- PAMA seed 1 (sentiment 0.6000, length 1.4000): dominated by MORLHF (0, 1) seed 1 (same seed).", markdown);
        Assert.Contains("| PAMA | 2 | 0.3250 |", markdown);
        Assert.Contains("| reward | MGDA-UB | MORLHF (1, 0) | MORLHF (0.5, 0.5) | MORLHF (0, 1) | PAMA |", markdown);
    }

    [Fact]
    public void ThreeObjectiveFrontAgreesWithTheIndependentHypervolume()
    {
        string[] objectives = ["sentiment", "length", "non-repetition"];
        var random = new Random(7);
        double[] Point() => [random.NextDouble(), random.NextDouble() + 0.5, random.NextDouble()];
        var runs = new List<HeldOutResult>();
        foreach (int seed in new[] { 1, 2 })
        {
            double[] before = [0.3, 0.9, 0.4];
            runs.Add(Run("pama", seed, before, Point(), objectives: objectives));
            foreach (double[] preference in PreferenceLattice.Of(3, 3)) runs.Add(Run("morlhf", seed, before, Point(), preference, objectives));
        }

        using JsonDocument document = JsonDocument.Parse(RunSummary.From(objectives, [1, 2], 10, runs).ToJson());
        AssertFrontMatchesRuns(document.RootElement);
    }

    [Fact]
    public void OneSeedIsNotReportedAsAMeanWithSpread()
    {
        HeldOutResult[] runs = [Run("pama", 1, [0, 0.8], [0.5, 1.2]), Run("morlhf", 1, [0, 0.8], [1.0, 0.9], [0.5, 0.5])];
        string markdown = RunSummary.From(Objectives, [1], 10, runs).ToMarkdown();
        Assert.DoesNotContain("±", markdown);
        Assert.Contains("seed 1, one seed", markdown);
    }

    [Fact]
    public void FrontPictureIsWrittenForTwoAndThreeObjectives()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"front-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string[] three = ["sentiment", "length", "non-repetition"];
            HeldOutResult[] runs =
            [
                Run("pama", 1, [0, 0.8, 0.5], [0.5, 1.2, 0.6], objectives: three), Run("pama", 2, [0, 0.8, 0.5], [0.6, 1.1, 0.6], objectives: three),
                .. PreferenceLattice.Of(3, 3).Select((p, i) => Run("morlhf", 1, [0, 0.8, 0.5], [i * 0.3, 1.5 - (i * 0.1), 0.5 + (i * 0.02)], p, three)),
            ];
            string path = Path.Combine(directory, "front.png");
            FrontPlot.Save(path, three, ParetoFront.Of(three, runs), runs);
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], File.ReadAllBytes(path)[..4]);
            FrontPlot.Save(path, Objectives, ParetoFront.Of(Objectives, [Run("pama", 1, [0, 0.8], [0.5, 1.2])]), [Run("pama", 1, [0, 0.8], [0.5, 1.2])]);
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], File.ReadAllBytes(path)[..4]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // What an outside check does: group the runs by method, read each final point ("after") and front.reference, and compare
    // front.hypervolume with its own exact volume.
    private static void AssertFrontMatchesRuns(JsonElement root)
    {
        string[] objectives = [.. root.GetProperty("objectives").EnumerateArray().Select(e => e.GetString()!)];
        JsonElement front = root.GetProperty("front");
        double[] reference = [.. objectives.Select(o => front.GetProperty("reference").GetProperty(o).GetDouble())];
        var points = new Dictionary<string, List<double[]>>();
        foreach (JsonElement run in root.GetProperty("runs").EnumerateArray())
        {
            string method = run.GetProperty("method").GetString()!;
            if (!points.TryGetValue(method, out List<double[]>? list)) points[method] = list = [];
            list.Add([.. objectives.Select(o => run.GetProperty("after").GetProperty(o).GetDouble())]);
        }

        Assert.Equal(points.Keys.Order(), front.GetProperty("hypervolume").EnumerateObject().Select(p => p.Name).Order());
        foreach ((string method, List<double[]> list) in points)
        {
            double expected = InclusionExclusion(list, reference);
            Assert.Equal(expected, front.GetProperty("hypervolume").GetProperty(method).GetDouble(), 1e-9);
            Assert.Equal(expected, front.GetProperty("methods").GetProperty(method).GetProperty("hypervolume").GetDouble(), 1e-9);
        }
    }

    // Σ over nonempty subsets S of (−1)^{|S|+1} Π_i (min_{p∈S} p_i − r_i), over the points above the reference in every objective.
    private static double InclusionExclusion(List<double[]> points, double[] reference)
    {
        double[][] boxes = [.. points.Where(p => p.Select((v, i) => v > reference[i]).All(b => b))];
        double total = 0;
        for (int mask = 1; mask < 1 << boxes.Length; mask++)
        {
            double volume = 1;
            for (int i = 0; i < reference.Length; i++)
                volume *= boxes.Where((_, k) => (mask >> k & 1) == 1).Min(b => b[i]) - reference[i];
            total += int.PopCount(mask) % 2 == 1 ? volume : -volume;
        }

        return total;
    }
}
