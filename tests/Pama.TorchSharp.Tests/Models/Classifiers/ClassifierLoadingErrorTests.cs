using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Classifiers;

/// <summary>Bad checkpoints fail with a message naming the file and the key or tensor.</summary>
public sealed class ClassifierLoadingErrorTests
{
    private static TestDirectory CopyOf(string fixture)
    {
        var dir = new TestDirectory();
        foreach (string file in Directory.GetFiles(ClassifierFixtureTests.Fixture(fixture)))
            File.Copy(file, dir.File(Path.GetFileName(file)));
        return dir;
    }

    private static void RewriteWeights(string path, Func<Dictionary<string, Tensor>, IEnumerable<KeyValuePair<string, Tensor>>> change)
    {
        Dictionary<string, Tensor> tensors = SafeTensors.Load(path);
        try
        {
            SafeTensors.Save(path, change(tensors).ToList());
        }
        finally
        {
            foreach (Tensor t in tensors.Values) t.Dispose();
        }
    }

    [Fact]
    public void UnknownModelTypeNamesTheFileAndKey()
    {
        using TestDirectory dir = CopyOf("distilbert-sentiment");
        JsonObject config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config["model_type"] = "t5";
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForSequenceClassification.FromPretrained(dir.Path));
        Assert.Contains("config.json", error.Message);
        Assert.Contains("t5", error.Message);
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        using TestDirectory dir = CopyOf("gpt2-reward-model");
        RewriteWeights(dir.File("model.safetensors"), t => t.Where(p => p.Key != "score.weight"));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForSequenceClassification.FromPretrained(dir.Path));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("score.weight", error.Message);
    }

    [Fact]
    public void WrongShapeIsNamed()
    {
        using TestDirectory dir = CopyOf("distilbert-sentiment");
        RewriteWeights(dir.File("model.safetensors"), t => t.Select(p => p.Key == "classifier.weight"
            ? new KeyValuePair<string, Tensor>(p.Key, zeros(3, 64)) : p));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForSequenceClassification.FromPretrained(dir.Path));
        Assert.Contains("classifier.weight", error.Message);
        Assert.Contains("[3, 64]", error.Message);
    }

    [Fact]
    public void UnexpectedTensorIsNamed()
    {
        using TestDirectory dir = CopyOf("distilbert-sentiment");
        RewriteWeights(dir.File("model.safetensors"), t => t.Append(new("vocab_projector.weight", zeros(2, 2))));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForSequenceClassification.FromPretrained(dir.Path));
        Assert.Contains("vocab_projector.weight", error.Message);
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        using TestDirectory dir = CopyOf("gpt2-reward-model");
        File.Move(dir.File("model.safetensors"), dir.File("model-00001-of-00001.safetensors"));
        using (var weights = SafeTensorsFile.Open(dir.File("model-00001-of-00001.safetensors")))
        {
            var map = new JsonObject();
            foreach (string key in weights.Entries.Keys) map[key] = "model-00001-of-00001.safetensors";
            map["score.weight"] = "model-00002-of-00002.safetensors";
            File.WriteAllText(dir.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        }
        var error = Assert.Throws<FileNotFoundException>(() => AutoModelForSequenceClassification.FromPretrained(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
    }

    [Fact]
    public void ShardedCheckpointGivesTheSameLogits()
    {
        using TestDirectory dir = CopyOf("distilbert-sentiment");
        Dictionary<string, Tensor> tensors = SafeTensors.Load(dir.File("model.safetensors"));
        try
        {
            var map = new JsonObject();
            var groups = tensors.Select((p, i) => (p, shard: i % 2)).GroupBy(x => x.shard);
            foreach (var group in groups)
            {
                string file = $"model-0000{group.Key + 1}-of-00002.safetensors";
                SafeTensors.Save(dir.File(file), group.Select(x => x.p).ToList());
                foreach (var (p, _) in group) map[p.Key] = file;
            }
            File.WriteAllText(dir.File("model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
        }
        finally
        {
            foreach (Tensor t in tensors.Values) t.Dispose();
        }
        File.Delete(dir.File("model.safetensors"));

        using SequenceClassifier sharded = AutoModelForSequenceClassification.FromPretrained(dir.Path, dtype: ScalarType.Float64);
        using SequenceClassifier single = AutoModelForSequenceClassification.FromPretrained(ClassifierFixtureTests.Fixture("distilbert-sentiment"), dtype: ScalarType.Float64);
        using Tensor ids = tensor(new long[] { 2, 40, 41, 3 }).view(1, 4);
        using Tensor mask = ones(1, 4, ScalarType.Int64);
        using Tensor a = sharded.call(ids, mask), b = single.call(ids, mask);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }

    [Fact]
    public void AnUntiedGpt2ConfigLoadsTheSameClassifier()
    {
        // A GPT-2 classifier has no output layer; tie_word_embeddings = false changes nothing.
        using TestDirectory dir = CopyOf("gpt2-reward-model");
        JsonObject config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config["tie_word_embeddings"] = false;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        using SequenceClassifier untied = AutoModelForSequenceClassification.FromPretrained(dir.Path, dtype: ScalarType.Float64);
        using SequenceClassifier tied = AutoModelForSequenceClassification.FromPretrained(ClassifierFixtureTests.Fixture("gpt2-reward-model"), dtype: ScalarType.Float64);
        using Tensor ids = tensor(new long[] { 7, 40, 41, 300 }).view(1, 4);
        using Tensor mask = ones(1, 4, ScalarType.Int64);
        using Tensor a = untied.call(ids, mask), b = tied.call(ids, mask);
        Assert.True(a.allclose(b, rtol: 0, atol: 0));
    }
}
