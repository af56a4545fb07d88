using System.CommandLine;
using System.Text;
using System.Text.Json;
using Pama.FineTune.Cli;
using Pama.FineTune.Experiment;
using Pama.FineTune.Progress;
using Pama.TorchSharp.Tests.Models;
using Xunit;

namespace Pama.FineTune.Tests;

/// <summary>
/// The protocol for the paper's real assets, end to end on tiny ones:
/// <c>--preset paper --model DIR --reward-model DIR --reward-label LABEL --prompts FILE</c> with the Hugging Face GPT-2 and
/// DistilBERT sentiment fixtures (written by transformers, copied unchanged into TestData/hf).
/// </summary>
public sealed class ProtocolTests
{
    private static readonly string[] Openings =
    [
        "I loved it", "The film was", "This movie", "What a plot", "The actors",
        "I hated the", "It was not", "Great story", "Boring and", "The ending",
        "A true gem", "Do not see", "Simply the", "My favorite", "Worst film",
        "The music", "Such a fun", "Too long and", "I cried at", "A classic",
    ];

    // The fixture ships weights only. It gets a complete byte-level GPT-2 BPE tokenizer with exactly its 512 ids, so
    // every id the model can sample decodes: the 256 byte symbols of GPT-2's byte-to-unicode alphabet, 255 merges of
    // letter pairs ("a a", "a b", ...: words starting a..j shrink, others stay one token per byte), and <|endoftext|>.
    private static string ModelDirectory(TestDirectory dir)
    {
        string model = Path.Combine(dir.Path, "gpt2");
        Directory.CreateDirectory(model);
        string fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "hf", "gpt2");
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(fixture, file), Path.Combine(model, file));
        var vocabulary = new Dictionary<string, int>();
        int[] printable = [.. Enumerable.Range('!', '~' - '!' + 1), .. Enumerable.Range('¡', '¬' - '¡' + 1), .. Enumerable.Range('®', 'ÿ' - '®' + 1)];
        int extra = 0;
        for (int b = 0; b < 256; b++) vocabulary[((char)(printable.Contains(b) ? b : 256 + extra++)).ToString()] = b;
        var merges = new StringBuilder("#version: 0.2\n");
        foreach (string pair in Enumerable.Range('a', 26).SelectMany(a => Enumerable.Range('a', 26).Select(b => $"{(char)a} {(char)b}")).Take(255))
        {
            merges.Append(pair).Append('\n');
            vocabulary[pair.Replace(" ", "", StringComparison.Ordinal)] = vocabulary.Count;
        }

        vocabulary["<|endoftext|>"] = vocabulary.Count;
        Assert.Equal(512, vocabulary.Count);
        File.WriteAllText(Path.Combine(model, "vocab.json"), JsonSerializer.Serialize(vocabulary));
        File.WriteAllText(Path.Combine(model, "merges.txt"), merges.ToString());
        return model;
    }

    // The DistilBERT sentiment fixture ships weights only. A WordPiece vocabulary of its special tokens and the words of the
    // openings (any other word is [UNK]) makes it a complete classifier checkpoint whose ids fit its 512-entry vocabulary.
    private static string ClassifierDirectory(TestDirectory dir)
    {
        string classifier = Path.Combine(dir.Path, "distilbert-sentiment");
        Directory.CreateDirectory(classifier);
        string fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "hf", "distilbert-sentiment");
        foreach (string file in new[] { "config.json", "model.safetensors" }) File.Copy(Path.Combine(fixture, file), Path.Combine(classifier, file));
        string[] words = [.. Openings.SelectMany(o => o.ToLowerInvariant().Split(' ')).Distinct()];
        File.WriteAllLines(Path.Combine(classifier, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words]);
        return classifier;
    }

    private static FineTuneOptions Bind(params string[] args)
    {
        FineTuneOptions? bound = null;
        ParseResult result = new FineTuneCommand().Create((options, _) => { bound = options; return Task.FromResult(0); }).Parse(args);
        Assert.Empty(result.Errors);
        result.Invoke();
        return bound!;
    }

    [Fact]
    public void PaperPresetRunsEndToEndOnTheFixtureAndReportsParetoQuantities()
    {
        using var dir = new TestDirectory();
        string model = ModelDirectory(dir);
        string prompts = Path.Combine(dir.Path, "prompts.jsonl");
        File.WriteAllLines(prompts, Openings.Select(o => JsonSerializer.Serialize(new { prompt = o, label = 1 })));
        string output = Path.Combine(dir.Path, "out");
        // The paper's classifier (distilbert-imdb) names its label POSITIVE; the fixture keeps transformers' default LABEL_1.
        FineTuneOptions options = Bind(
            "--preset", "paper", "--model", model, "--reward-model", ClassifierDirectory(dir), "--reward-label", "LABEL_1",
            "--prompts", prompts, "--seeds", "2", "--out", output);
        var log = new StringWriter();

        int exitCode = new ExperimentRunner(options, new PlainRunProgress(log)).Run(CancellationToken.None);

        Assert.True(exitCode == 0, log.ToString());
        foreach (string file in new[] { "summary.json", "summary.md", "rewards.png", "pareto.png", "front.png", "weights.png", "samples.txt", "metrics.csv" })
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} is missing");

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        JsonElement root = summary.RootElement;
        // One epoch over the 18 training prompts (every 10th of 20 is held out) in batches of up to 128: one step.
        Assert.Equal(1, root.GetProperty("steps").GetInt32());
        Assert.Equal(6, root.GetProperty("runs").GetArrayLength());
        var volumes = new Dictionary<string, List<double>>();
        foreach (JsonElement run in root.GetProperty("runs").EnumerateArray())
        {
            double volume = 1;
            foreach (string objective in new[] { "sentiment", "length" })
                volume *= Math.Max(run.GetProperty("after").GetProperty(objective).GetDouble() - run.GetProperty("before").GetProperty(objective).GetDouble(), 0);
            string method = run.GetProperty("method").GetString()!;
            if (!volumes.TryGetValue(method, out List<double>? list)) volumes[method] = list = [];
            list.Add(volume);
            Assert.True(run.GetProperty("seconds").GetDouble() > 0);
        }

        Assert.Equal(["pama", "morlhf", "mgda-ub"], volumes.Keys);
        foreach ((string method, List<double> list) in volumes)
            Assert.Equal(list.Average(), root.GetProperty("methods").GetProperty(method).GetProperty("hypervolume").GetProperty("mean").GetDouble(), 12);

        // Every method with two seeds: PAMA is compared with each baseline per objective and for the hypervolume.
        Assert.Equal(6, root.GetProperty("significance").GetProperty("comparisons").GetArrayLength()); // 2 baselines × (2 objectives + hypervolume)
        Assert.Contains("preset paper, whitening per-objective, critic trunk", log.ToString());
        Assert.Contains("Reward model for 'sentiment'", log.ToString());
        Assert.Contains("'LABEL_1'", log.ToString());
    }

    [Fact]
    public void PromptLongerThanTheContextStopsTheProtocolNamingFileAndLine()
    {
        using var dir = new TestDirectory();
        string model = ModelDirectory(dir);
        string prompts = Path.Combine(dir.Path, "prompts.txt");
        string[] lines = [.. Openings];
        // The fixture's context is 64 tokens and the preset allows 48 response tokens; x, y, z are one token each: 17 is one too many.
        lines[12] = "xyzxyzxyzxyzxyzxy";
        File.WriteAllLines(prompts, lines, new UTF8Encoding(false));
        FineTuneOptions options = Bind("--preset", "paper", "--model", model, "--prompts", prompts, "--seeds", "1", "--out", Path.Combine(dir.Path, "out"));

        var error = Assert.Throws<InvalidDataException>(() => new ExperimentRunner(options, new PlainRunProgress(TextWriter.Null)).Run(CancellationToken.None));
        Assert.Contains($"{prompts}, line 13", error.Message);
        Assert.Contains("17 tokens", error.Message);
        Assert.Contains("context of 64", error.Message);
    }
}
