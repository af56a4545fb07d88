using System.Security.Cryptography;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Loading by repository id from a Hugging Face cache laid out as huggingface_hub lays it out: blobs named by their
/// hash, <c>snapshots/&lt;commit&gt;/</c> of relative symbolic links to them, and <c>refs/main</c> holding the commit.
/// The cache is chosen through the environment, so these tests run one at a time in this class.
/// </summary>
public sealed class HuggingFaceCacheTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private readonly TestDirectory _home = new();

    public void Dispose() => _home.Dispose();

    /// <summary>Puts the files of <paramref name="source"/> into <c>cache/models--org--name</c> as huggingface_hub does.</summary>
    private static void AddToCache(string cache, string repository, string source, string commit = Commit, string? branch = "main")
    {
        string root = Path.Combine(cache, "models--" + repository.Replace("/", "--"));
        string blobs = Path.Combine(root, "blobs"), snapshot = Path.Combine(root, "snapshots", commit);
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        foreach (string file in Directory.EnumerateFiles(source))
        {
            byte[] content = File.ReadAllBytes(file);
            string blob = Convert.ToHexStringLower(SHA256.HashData(content));
            File.WriteAllBytes(Path.Combine(blobs, blob), content);
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), Path.Combine("..", "..", "blobs", blob));
        }
        if (branch is not null)
        {
            Directory.CreateDirectory(Path.Combine(root, "refs"));
            File.WriteAllText(Path.Combine(root, "refs", branch), commit);
        }
    }

    private static T WithEnvironment<T>(string name, string? value, Func<T> action)
    {
        string? hub = Environment.GetEnvironmentVariable("HF_HUB_CACHE"), home = Environment.GetEnvironmentVariable("HF_HOME");
        try
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
            Environment.SetEnvironmentVariable("HF_HOME", null);
            Environment.SetEnvironmentVariable(name, value);
            return action();
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", hub);
            Environment.SetEnvironmentVariable("HF_HOME", home);
        }
    }

    [Fact]
    public void ModelTokenizerClassifierAndAdapterLoadByRepositoryIdFromHfHubCache()
    {
        string cache = _home.File("hub-cache");
        AddToCache(cache, "test-org/tiny-llama", HuggingFaceFixture.Directory("llama"));
        AddToCache(cache, "test-org/tiny-reward", HuggingFaceFixture.Directory("gpt2-reward-model"));
        AddToCache(cache, "test-org/tiny-llama-lora", Path.Combine(AppContext.BaseDirectory, "TestData", "peft", "llama-lora"));
        var expected = HuggingFaceFixture.Expected("llama");
        try
        {
            WithEnvironment("HF_HUB_CACHE", cache, () =>
            {
                using CausalLanguageModel direct = AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), dtype: ScalarType.Float64);
                using CausalLanguageModel byId = AutoModelForCausalLM.FromPretrained("test-org/tiny-llama", dtype: ScalarType.Float64);
                using CausalLMOutput a = direct.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
                using CausalLMOutput b = byId.Forward(expected["input_ids"], expected["attention_mask"], expected["position_ids"]);
                Assert.True(a.Logits.eq(b.Logits).all().item<bool>());

                PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained("test-org/tiny-llama");
                Assert.Equal(AutoTokenizer.FromPretrained(HuggingFaceFixture.Directory("llama")).Encode("The movie was"), tokenizer.Encode("The movie was"));

                using var classifier = AutoModelForSequenceClassification.FromPretrained("test-org/tiny-reward");
                Assert.Equal("gpt2", AutoModelForCausalLM.ReadModelType(Path.Combine(HuggingFaceCache.Resolve("test-org/tiny-reward"), "config.json")));

                using LoraAdapter adapter = LoraAdapter.Load(byId, "test-org/tiny-llama-lora");
                Assert.True(adapter.ParameterCount > 0);
                return 0;
            });
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void HfHomeHubAndAnExplicitRevisionAreFound()
    {
        string home = _home.File("hf-home");
        AddToCache(Path.Combine(home, "hub"), "tiny-gpt2", HuggingFaceFixture.Directory("gpt2"), commit: "fedcba9876543210fedcba9876543210fedcba98", branch: null);
        string resolved = WithEnvironment("HF_HOME", home, () => HuggingFaceCache.Resolve("tiny-gpt2@fedcba9876543210fedcba9876543210fedcba98"));
        Assert.Equal(Path.GetFullPath(Path.Combine(home, "hub", "models--tiny-gpt2", "snapshots", "fedcba9876543210fedcba9876543210fedcba98")), resolved);
        // Without refs/main, "main" names nothing: the error says so rather than guessing a snapshot.
        Assert.Throws<DirectoryNotFoundException>(() => WithEnvironment("HF_HOME", home, () => HuggingFaceCache.Resolve("tiny-gpt2")));
    }

    [Fact]
    public void AnAbsentRepositoryNamesTheCachesSearchedAndTheDownloadCommand()
    {
        string cache = _home.File("empty-cache");
        Directory.CreateDirectory(cache);
        var error = Assert.Throws<DirectoryNotFoundException>(() =>
            WithEnvironment("HF_HUB_CACHE", cache, () => AutoModelForCausalLM.FromPretrained("test-org/not-downloaded")));
        Assert.Contains(Path.GetFullPath(cache), error.Message);
        Assert.Contains("huggingface-cli download test-org/not-downloaded", error.Message);
        // A path that is not a repository id is reported as a missing folder.
        var missing = Assert.Throws<DirectoryNotFoundException>(() => AutoTokenizer.FromPretrained(_home.File("no/such/folder")));
        Assert.Contains("does not exist", missing.Message);
    }

    [Fact]
    public void AnUnusableCudaDeviceGivesTheSameFixesAsResolveDevice()
    {
        if (cuda.is_available()) return;   // the check is about machines without CUDA
        string fixes = Assert.Throws<InvalidOperationException>(() => TorchRuntime.ResolveDevice("cuda")).Message;
        foreach (Func<object> load in new Func<object>[]
                 {
                     () => AutoModelForCausalLM.FromPretrained(HuggingFaceFixture.Directory("llama"), new Device(global::TorchSharp.DeviceType.CUDA, 0)),
                     () => Gpt2Model.FromPretrained(HuggingFaceFixture.Directory("gpt2"), new Device("cuda")),
                     () => AutoModelForSequenceClassification.FromPretrained(HuggingFaceFixture.Directory("distilbert-sentiment"), new Device(global::TorchSharp.DeviceType.CUDA)),
                 })
        {
            var error = Assert.Throws<InvalidOperationException>(load);
            Assert.Equal(fixes, error.Message);
        }
    }
}
