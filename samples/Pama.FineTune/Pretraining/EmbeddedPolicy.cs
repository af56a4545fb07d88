using System.Text.Json;
using Pama.FineTune.Corpus;
using Pama.FineTune.Progress;
using Pama.FineTune.Text;
using Pama.TorchSharp.Models;

namespace Pama.FineTune.Pretraining;

/// <summary>
/// The sample's own policy: a small GPT-2 (2 layers, width 96, 4 heads, 64 positions) over the
/// compact vocabulary of the embedded reviews, pretrained on first use and cached as a Hugging
/// Face style checkpoint directory (<c>config.json</c>, <c>model.safetensors</c>) plus the
/// vocabulary mapping and a manifest of how it was made. A later run reuses the cache when the
/// manifest matches and pretrains again when anything that shaped the model has changed.
/// </summary>
public static class EmbeddedPolicy
{
    /// <summary>Name of the manifest file in the cache directory.</summary>
    public const string ManifestFileName = "pretraining.json";

    /// <summary>Bump when the grammar or corpus changes so stale caches are rebuilt.</summary>
    private const int CorpusVersion = 1;

    /// <summary>Pretraining budget: about twenty seconds on two idle CPU cores (loss about 0.98 nats per token).</summary>
    public static readonly PretrainingSettings Settings = new(Steps: 400, BatchSize: 32, WindowLength: 64, LearningRate: 3e-3, Seed: 1);

    /// <summary>The tiny architecture for a vocabulary of <paramref name="vocabularySize"/> tokens ending with end-of-text.</summary>
    public static Gpt2Config Config(int vocabularySize, int endOfTextId) => new Gpt2Config
    {
        VocabularySize = vocabularySize,
        ContextLength = 64,
        HiddenSize = 96,
        LayerCount = 2,
        HeadCount = 4,
        BosTokenId = endOfTextId,
        EosTokenId = endOfTextId,
    }.WithoutDropout();

    /// <summary>
    /// Returns the cached pretrained checkpoint directory and its tokenizer, pretraining first if
    /// the cache under <paramref name="cacheDirectory"/> is missing or stale.
    /// </summary>
    public static (string Directory, CompactVocabularyTokenizer Tokenizer) Ensure(
        string cacheDirectory, ReviewCorpus corpus, IRunProgress progress, CancellationToken cancellation)
    {
        var baseTokenizer = Gpt2Tokenizer.CreateDefault();
        CompactVocabularyTokenizer tokenizer = CompactVocabularyTokenizer.Build(baseTokenizer, corpus.AllTexts);
        Gpt2Config config = Config(tokenizer.VocabularySize, tokenizer.EndOfTextId);
        string manifest = Manifest(config, tokenizer);
        string manifestPath = Path.Combine(cacheDirectory, ManifestFileName);
        if (File.Exists(manifestPath) && File.ReadAllText(manifestPath) == manifest
            && File.Exists(Path.Combine(cacheDirectory, Gpt2Model.WeightsFileName)))
        {
            progress.Log($"Using the pretrained policy cached in {cacheDirectory}.");
            return (cacheDirectory, CompactVocabularyTokenizer.Load(baseTokenizer, Path.Combine(cacheDirectory, CompactVocabularyTokenizer.FileName)));
        }

        progress.Log($"Pretraining the policy ({config.LayerCount} layers, width {config.HiddenSize}, vocabulary {config.VocabularySize}) on {corpus.PretrainingTexts.Count} reviews; cached in {cacheDirectory}.");
        using var model = new Gpt2Model(config, Settings.Seed);
        IProgressTask task = progress.Start("pretraining", Settings.Steps);
        double[] losses = PolicyPretrainer.Train(model, tokenizer, corpus.PretrainingTexts, Settings,
            (step, loss) => { if (step % 10 == 0 || step == Settings.Steps) task.Report(step, $"loss {loss:F3}"); },
            cancellation);
        if (losses.Length < Settings.Steps)
        {
            task.Complete("cancelled");
            throw new OperationCanceledException("Pretraining was cancelled before it finished; nothing was cached.");
        }

        task.Complete($"final loss {losses[^1]:F3}");
        // Manifest last: a cache is only valid once every file is in place.
        if (File.Exists(manifestPath)) File.Delete(manifestPath);
        model.SavePretrained(cacheDirectory);
        tokenizer.Save(Path.Combine(cacheDirectory, CompactVocabularyTokenizer.FileName));
        File.WriteAllText(manifestPath, manifest);
        return (cacheDirectory, tokenizer);
    }

    private static string Manifest(Gpt2Config config, CompactVocabularyTokenizer tokenizer) =>
        JsonSerializer.Serialize(new
        {
            corpusVersion = CorpusVersion,
            settings = Settings,
            config = config.ToJson(),
            baseIds = tokenizer.BaseIds,
        });
}
