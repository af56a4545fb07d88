using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Issue 30: without gradients a forward pass frees each block's intermediates as the block returns, so the number of
/// tensors alive during the pass does not grow with the number of blocks (before, every block's queries, keys, values,
/// attention weights and MLP activations lived until the pass returned).
/// </summary>
public sealed class BlockMemoryTests
{
    public static IEnumerable<object[]> LlamaFamilies => [["llama"], ["qwen2"], ["mistral"]];

    /// <summary>Deterministic: a probe in every layer's <c>down_proj</c> reads the live tensors of this thread
    /// (<see cref="DisposeScopeManager.Statistics"/>) as the layer runs its MLP.</summary>
    [Theory]
    [MemberData(nameof(LlamaFamilies))]
    public void NoGradLiveTensorsDoNotGrowFromLayerToLayer(string family)
    {
        const int layers = 6;
        using LlamaModel model = TinyLlama.Create(family, layers);
        var counts = new List<long>();
        for (int i = 0; i < layers; i++)
        {
            string path = $"model.layers.{i}.mlp.down_proj";
            var original = (nn.Module<Tensor, Tensor>)model.named_modules().First(m => m.name == path).module;
            model.ReplaceModule(path, new LiveTensorProbe(original, counts));
        }
        using Tensor ids = TinyGpt2.Ids([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]);

        using (no_grad())
        using (CausalLMOutput output = model.Forward(ids))
        {
            // Layer 0's input is the embedding; from layer 1 on, the previous layer's output is alive too, and nothing else.
            Assert.True(counts.Skip(1).All(c => c == counts[1]) && counts[1] - counts[0] <= 1,
                $"live tensors at each layer's MLP: {string.Join(", ", counts)}");
        }

        // While gradients are recorded the intermediates are kept for backward, and the probe sees them accumulate.
        counts.Clear();
        using (CausalLMOutput output = model.Forward(ids))
            Assert.True(counts[^1] - counts[0] >= layers - 1, $"with gradients: {string.Join(", ", counts)}");
    }

    private sealed class LiveTensorProbe : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> _inner;
        private readonly List<long> _counts;

        public LiveTensorProbe(nn.Module<Tensor, Tensor> inner, List<long> counts) : base("probe")
        {
            _inner = inner;
            _counts = counts;
        }

        public override Tensor forward(Tensor input)
        {
            _counts.Add(DisposeScopeManager.Statistics.ThreadTotalLiveCount);
            return _inner.call(input);
        }
    }
}

/// <summary>
/// The families whose blocks cannot be probed from outside (GPT-2's and DistilBERT's sub-modules are sealed types):
/// another thread samples the process's live tensor count (<see cref="torch.Tensor.TotalCount"/>) while the forward
/// passes run, for 2 and 12 blocks. These tests run alone, so no other test's tensors are counted.
/// </summary>
[Collection(BlockMemoryCollection.Name)]
public sealed class SampledBlockMemoryTests
{
    private const int Shallow = 2, Deep = 12;

    [Fact]
    public void Gpt2NoGradPeakDoesNotGrowWithDepth() => AssertFlat("GPT-2", layers =>
    {
        var model = TinyGpt2.Create(TinyGpt2.Config(layers: layers, hidden: 32, context: 64), seed: 5);
        return (model, () =>
        {
            using Tensor ids = Ids(61);
            model.Forward(ids).Dispose();
        });
    });

    [Fact]
    public void LlamaNoGradPeakDoesNotGrowWithDepth() => AssertFlat("Llama", layers =>
    {
        var model = TinyLlama.Create("llama", layers);
        return (model, () =>
        {
            using Tensor ids = Ids(20);
            model.Forward(ids).Dispose();
        });
    });

    [Fact]
    public void DistilBertClassifierNoGradPeakDoesNotGrowWithDepth()
    {
        var directories = new List<TestDirectory>();
        try
        {
            AssertFlat("DistilBERT", layers =>
            {
                var dir = new TestDirectory();
                directories.Add(dir);
                DeepenDistilBert(dir, layers);
                SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(dir.Path, dtype: ScalarType.Float64);
                return (model, () =>
                {
                    using Tensor ids = Ids(512);
                    using Tensor mask = ones_like(ids);
                    model.forward(ids, mask).Dispose();
                });
            });
        }
        finally
        {
            foreach (TestDirectory dir in directories) dir.Dispose();
        }
    }

    /// <summary>The peak number of live tensors above the count before the passes, for a shallow and a deep model, must be
    /// about equal: a deep model may add at most one tensor per block (before the fix, dozens per block).</summary>
    private static void AssertFlat(string name, Func<int, (nn.Module Model, Action Forward)> create)
    {
        long shallow = PeakExtraTensors(create(Shallow)), deep = PeakExtraTensors(create(Deep));
        Assert.True(shallow > 0, $"{name}: the sampler saw no forward pass");
        Assert.True(deep <= shallow + (Deep - Shallow),
            $"{name}: peak live tensors above the baseline: {shallow} with {Shallow} blocks, {deep} with {Deep}");
    }

    private static long PeakExtraTensors((nn.Module Model, Action Forward) run)
    {
        using nn.Module model = run.Model;
        using var noGrad = no_grad();
        // One libtorch thread: the sampler takes the other core, and a parallel kernel would wait for it.
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            return PeakExtraTensors(run.Forward);
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private static long PeakExtraTensors(Action forward)
    {
        forward();  // warm-up: lazily built state (rotary tables) is not a per-pass cost
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = torch.Tensor.TotalCount, peak = baseline;
        int done = 0;
        var sampler = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                long count = LiveTensors();
                if (count > peak) peak = count;
            }
        });
        sampler.Start();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 200 && (i < 20 || clock.ElapsedMilliseconds < 300); i++) forward();
        Volatile.Write(ref done, 1);
        sampler.Join();
        return peak - baseline;
    }

    /// <summary>Not inlined, so the loop reads the count anew each time rather than once.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long LiveTensors()
    {
        Thread.MemoryBarrier();
        return torch.Tensor.TotalCount;
    }

    private static Tensor Ids(int vocabulary)
    {
        using var generator = new Generator(7);
        return randint(1, vocabulary, [4, 48], generator: generator);
    }

    /// <summary>The DistilBERT fixture with <paramref name="layers"/> layers, the extra ones copies of its last.</summary>
    private static void DeepenDistilBert(TestDirectory dir, int layers)
    {
        string source = HuggingFaceFixture.Directory("distilbert-sentiment");
        JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        int have = (int)config["n_layers"]!;
        config["n_layers"] = layers;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        Dictionary<string, Tensor> weights = SafeTensors.Load(Path.Combine(source, "model.safetensors"));
        try
        {
            string last = $".layer.{have - 1}.";
            var tensors = weights.ToList();
            for (int i = have; i < layers; i++)
                tensors.AddRange(weights.Where(p => p.Key.Contains(last, StringComparison.Ordinal))
                    .Select(p => new KeyValuePair<string, Tensor>(p.Key.Replace(last, $".layer.{i}.", StringComparison.Ordinal), p.Value)));
            SafeTensors.Save(dir.File("model.safetensors"), tensors);
        }
        finally
        {
            foreach (Tensor t in weights.Values) t.Dispose();
        }
    }
}

/// <summary>The sampled memory tests run alone: the live tensor count they sample is the whole process's.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlockMemoryCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Live tensor count sampling";
}
