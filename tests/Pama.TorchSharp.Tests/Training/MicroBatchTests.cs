using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// Micro-batches change memory and time, never the step: a run split into uneven micro-batches (generation, scoring and every
/// PPO minibatch's forward/backward) equals the unsplit run after two steps, for every catalogued method, full and LoRA.
/// </summary>
public sealed class MicroBatchTests
{
    /// <summary>Seven prompts: one minibatch of 7 rows splits into 3 + 3 + 1, two minibatches (4 and 3) into 2 + 2 and 2 + 1.</summary>
    private static readonly string[] Prompts = ["hello there", "a short one", "what is it?", "oh", "tea time now", "up", "i see a cat"];

    private const double Tolerance = 1e-12;

    public static TheoryData<string, bool> MethodsFullAndLora()
    {
        var data = new TheoryData<string, bool>();
        foreach (string key in MethodCatalog.Keys)
        {
            data.Add(key, false);
            data.Add(key, true);
        }
        return data;
    }

    private static LoraOptions Lora => new() { Rank = 2, Alpha = 4, TargetModules = ["c_attn", "c_fc"] };

    /// <summary>Two steps of a fresh trainer; returns the metrics and every trained tensor (policy or adapter, value heads).</summary>
    private static (StepMetrics[] Metrics, Dictionary<string, double[]> Trained) Run(PamaTrainerOptions options, bool lora, string[]? prompts = null)
    {
        using var scope = NewDisposeScope();
        Gpt2Model policy = TinyModels.Gpt2(1);
        LoraAdapter? adapter = null;
        if (lora)
        {
            using var generator = new Generator(5);
            adapter = LoraAdapter.Apply(policy, Lora, generator);
            // B starts at zero in LoRA; move it so the adapter's path carries gradient into A as well.
            using (no_grad())
            using (var g = new Generator(6))
                foreach (var (name, p) in policy.named_parameters())
                    if (name.Contains("lora_B", StringComparison.Ordinal)) p.normal_(0, 0.1, g);
        }
        using PamaTrainer<Gpt2Model> trainer = adapter is null
            ? new PamaTrainer<Gpt2Model>(policy, TinyModels.Gpt2(1), TinyModels.Tokenizer, TinyModels.VowelsAndLength(), options)
            : new PamaTrainer<Gpt2Model>(policy, adapter, TinyModels.Tokenizer, TinyModels.VowelsAndLength(), options);
        StepMetrics[] metrics = [trainer.Step(prompts ?? Prompts), trainer.Step(prompts ?? Prompts)];
        var trained = TinyModels.Snapshot(policy).Where(kv => !lora || kv.Key.Contains(".lora_", StringComparison.Ordinal)).ToDictionary();
        foreach (var (name, values) in TinyModels.Snapshot(trainer.ValueHeads)) trained["value." + name] = values;
        adapter?.Dispose();
        return (metrics, trained);
    }

    private static void AssertClose(double expected, double actual, string what)
    {
        if (double.IsNaN(expected) && double.IsNaN(actual)) return;
        Assert.True(Math.Abs(expected - actual) <= Tolerance * Math.Max(1.0, Math.Abs(expected)), $"{what}: {expected:R} unsplit, {actual:R} split");
    }

    private static void AssertSameRun((StepMetrics[] Metrics, Dictionary<string, double[]> Trained) whole, (StepMetrics[] Metrics, Dictionary<string, double[]> Trained) split)
    {
        for (int s = 0; s < whole.Metrics.Length; s++)
        {
            StepMetrics a = whole.Metrics[s], b = split.Metrics[s];
            Assert.Equal(a.ResponseTokens, b.ResponseTokens);
            Assert.Equal(a.StationaryUpdates, b.StationaryUpdates);
            Assert.Equal(a.PolicyUpdated, b.PolicyUpdated);
            for (int i = 0; i < a.MeanRewards.Count; i++) AssertClose(a.MeanRewards[i], b.MeanRewards[i], $"step {s + 1} mean reward {i}");
            for (int i = 0; i < a.Weights.Count; i++) AssertClose(a.Weights[i], b.Weights[i], $"step {s + 1} weight {i}");
            for (int i = 0; i < a.ValueLosses.Count; i++) AssertClose(a.ValueLosses[i], b.ValueLosses[i], $"step {s + 1} value loss {i}");
            AssertClose(a.OptimalValue, b.OptimalValue, $"step {s + 1} optimal value");
            AssertClose(a.Kl, b.Kl, $"step {s + 1} KL");
            AssertClose(a.PolicyLoss, b.PolicyLoss, $"step {s + 1} policy loss");
            AssertClose(a.ClipFraction, b.ClipFraction, $"step {s + 1} clip fraction");
            AssertClose(a.Entropy, b.Entropy, $"step {s + 1} entropy");
        }
        Assert.Equal(whole.Trained.Keys.Order(), split.Trained.Keys.Order());
        int hidden = TinyModels.Config().HiddenSize;
        foreach (var (name, expected) in whole.Trained)
        {
            double[] actual = split.Trained[name];
            for (int k = 0; k < expected.Length; k++)
            {
                // The key bias shifts every score of a query by the same amount, which the softmax ignores: its exact gradient is 0
                // and Adam steps it on rounding noise (about lr·|noise|/eps, 1e-12 here) in both runs alike. Not a quantity to compare.
                if (name.EndsWith("attn.c_attn.bias", StringComparison.Ordinal) && k >= hidden && k < 2 * hidden) continue;
                AssertClose(expected[k], actual[k], $"{name}[{k}]");
            }
        }
    }

    private static PamaTrainerOptions Split(PamaTrainerOptions options, int rows) => options with
    {
        ScoringMicroBatch = MicroBatchSize.Rows(rows),
        UpdateMicroBatch = MicroBatchSize.Rows(rows),
        Generation = options.Generation with { BatchSize = rows },
    };

    [Theory]
    [MemberData(nameof(MethodsFullAndLora))]
    public void ThreeUnevenMicroBatchesGiveTheUnsplitStep(string key, bool lora)
    {
        PamaTrainerOptions options = TinyModels.Options(MethodCatalog.Create(key)) with { AdvantageWhitening = AdvantageWhitening.PerObjective };
        var whole = Run(options, lora);
        var split = Run(Split(options, 3), lora);   // 7 rows: 3 + 3 + 1
        Assert.True(whole.Metrics[0].PolicyUpdated || key == "mgda-ub", "the test must move the policy to compare gradients");
        AssertSameRun(whole, split);
    }

    [Theory]
    [InlineData("pama")]
    [InlineData("mgda-ub")]
    [InlineData("upgrad")]
    [InlineData("morlhf")]
    public void MicroBatchesInsideSeveralMinibatchesAndATokenBudgetGiveTheUnsplitStep(string key)
    {
        PamaTrainerOptions options = TinyModels.Options(MethodCatalog.Create(key)) with { MiniBatches = 2, Critic = CriticTraining.ThroughTrunk };
        var whole = Run(options, lora: false);
        AssertSameRun(whole, Run(Split(options, 2), lora: false));                    // minibatches of 4 and 3: 2 + 2, 2 + 1
        // Prompts of up to 12 characters plus 6 new tokens: a budget of 2.5 rows of the widest layout holds 2 rows.
        long width = Prompts.Max(p => p.Length) + options.Generation.MaxNewTokens;
        var budget = options with { ScoringMicroBatch = MicroBatchSize.Tokens(width * 5 / 2), UpdateMicroBatch = MicroBatchSize.Tokens(width * 5 / 2) };
        AssertSameRun(whole, Run(budget, lora: false));
    }

    [Theory]
    [InlineData("pama")]
    [InlineData("mean")]
    public void GroupRelativeAdvantagesAndPerTokenWeightsGiveTheUnsplitStep(string key)
    {
        IMultiObjectiveMethod method = key == "pama" ? new PamaMethod(WeightingGranularity.Token) : MethodCatalog.Create(key);
        PamaTrainerOptions options = TinyModels.Options(method) with { AdvantageEstimator = new GroupRelativeAdvantages(2), SamplesPerPrompt = 2 };
        string[] prompts = Prompts[..4];   // 8 rows: 3 + 3 + 2
        AssertSameRun(Run(options, lora: false, prompts), Run(Split(options, 3), lora: false, prompts));
    }

    [Fact]
    public void GenerationInChunksSamplesTheSameTokens()
    {
        using var scope = NewDisposeScope();
        Gpt2Model model = TinyModels.Gpt2(3);
        var (ids, mask) = PromptBatch.LeftPad([.. Prompts.Select(p => TinyModels.Tokenizer.Encode(p))], 0, CPU);
        var options = new SamplingOptions { MaxNewTokens = 9, EosTokenId = TinyModels.Tokenizer.EndOfTextId };
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        GenerationResult whole = TextGenerator.Generate(model, ids, mask, options, g1);
        GenerationResult chunked = TextGenerator.Generate(model, ids, mask, options with { BatchSize = 3 }, g2);
        Assert.Equal(whole.Sequences.shape, chunked.Sequences.shape);
        Assert.Equal(TinyModels.Values(whole.Sequences), TinyModels.Values(chunked.Sequences));
        Assert.Equal(TinyModels.Values(whole.AttentionMask), TinyModels.Values(chunked.AttentionMask));
        Assert.Equal(TinyModels.Values(whole.PositionIds), TinyModels.Values(chunked.PositionIds));
        Assert.Equal(TinyModels.Values(whole.ResponseMask), TinyModels.Values(chunked.ResponseMask));
        Assert.Equal(g1.get_state().data<byte>().ToArray(), g2.get_state().data<byte>().ToArray());
    }

    [Fact]
    public void AMicroBatchLargerThanTheMinibatchIsRefusedBeforeAnythingChanges()
    {
        var options = TinyModels.Options() with { MiniBatches = 2, UpdateMicroBatch = MicroBatchSize.Rows(4) };
        var (trainer, policy) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var _ = trainer;
        using var scope = NewDisposeScope();
        var rollout = trainer.Generate(TinyModels.Prompts);   // 3 rows: minibatches of 2 and 1
        var before = TinyModels.Snapshot(policy);
        var rewards = trainer.Score(rollout);
        var error = Assert.Throws<ArgumentException>(() => trainer.Step(rollout, rewards));
        Assert.Equal(nameof(PamaTrainerOptions.UpdateMicroBatch), error.ParamName);
        Assert.Contains("largest minibatch has 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, trainer.StepCount);
        Assert.True(TinyModels.BitwiseEqual(before, TinyModels.Snapshot(policy)));
    }

    [Fact]
    public void ATokenBudgetSmallerThanOneRowIsRefusedBeforeSampling()
    {
        var options = TinyModels.Options() with { ScoringMicroBatch = MicroBatchSize.Tokens(10) };
        var (trainer, _) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var __ = trainer;
        var error = Assert.Throws<ArgumentException>(() => trainer.Step(TinyModels.Prompts));
        Assert.Equal(nameof(PamaTrainerOptions.ScoringMicroBatch), error.ParamName);
        Assert.Contains("smaller than one row", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, trainer.StepCount);

        var update = TinyModels.Options() with { UpdateMicroBatch = MicroBatchSize.Tokens(10) };
        var (other, _) = TinyModels.Trainer(update, TinyModels.VowelsAndLength());
        using var ___ = other;
        Assert.Equal(nameof(PamaTrainerOptions.UpdateMicroBatch), Assert.Throws<ArgumentException>(() => other.Step(TinyModels.Prompts)).ParamName);
        Assert.Equal(0, other.StepCount);
    }

    [Fact]
    public void SizesBelowOneAreRefusedNamingTheArgument()
    {
        Assert.Equal("rows", Assert.Throws<ArgumentOutOfRangeException>(() => MicroBatchSize.Rows(0)).ParamName);
        Assert.Equal("tokens", Assert.Throws<ArgumentOutOfRangeException>(() => MicroBatchSize.Tokens(0)).ParamName);
        Assert.Contains("BatchSize", Assert.Throws<ArgumentException>(() => new SamplingOptions { BatchSize = 0 }.Validate()).Message, StringComparison.Ordinal);
    }
}
