using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>PAMA through a LoRA adapter: the reference is the same module with the adapter disabled.</summary>
public sealed class LoraTrainingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-lora-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly LoraOptions Options = new() { Rank = 4, Alpha = 8, TargetModules = ["c_attn", "c_proj", "c_fc"] };

    private static IRewardObjective[] Objectives() =>
    [
        RewardObjective.FromText("one", (p, r) => 1.0 + r.Count(c => "aeiou".Contains(c))),
        RewardObjective.FromText("two", (p, r) => 2.0 + r.Length / 4.0),
    ];

    private static (Gpt2Model Policy, LoraAdapter Adapter) Adapted(ScalarType type = ScalarType.Float64, long seed = 1)
    {
        Gpt2Model policy = TinyModels.Gpt2(1).to(type);
        using var generator = new Generator((ulong)seed);
        return (policy, LoraAdapter.Apply(policy, Options, generator));
    }

    private static Dictionary<string, double[]> Snapshot(nn.Module module, Func<string, bool> include) =>
        TinyModels.Snapshot(module).Where(kv => include(kv.Key)).ToDictionary();

    private static bool IsAdapter(string name) => name.Contains(".lora_", StringComparison.Ordinal);

    [Fact]
    public void PamaStepChangesOnlyTheAdapterAndTheValueHeads()
    {
        var (policy, adapter) = Adapted();
        using var _ = adapter;
        using var trainer = new PamaTrainer<Gpt2Model>(policy, adapter, TinyModels.Tokenizer, Objectives(), TinyModels.Options());
        var baseBefore = Snapshot(policy, n => !IsAdapter(n));
        var adapterBefore = Snapshot(policy, IsAdapter);
        var valuesBefore = TinyModels.Snapshot(trainer.ValueHeads);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.True(metrics.PolicyUpdated);
        Assert.True(TinyModels.BitwiseEqual(baseBefore, Snapshot(policy, n => !IsAdapter(n))), "the frozen base must not change");
        var adapterAfter = Snapshot(policy, IsAdapter);
        Assert.Contains(adapterAfter, kv => !kv.Value.AsSpan().SequenceEqual(adapterBefore[kv.Key]));
        Assert.False(TinyModels.BitwiseEqual(valuesBefore, TinyModels.Snapshot(trainer.ValueHeads)));
        Assert.True(adapter.IsActive, "the reference scope ends with the rollout");
    }

    [Fact]
    public void ReferenceLogProbabilitiesAreThoseOfTheBaseModel()
    {
        var (policy, adapter) = Adapted();
        using var _ = adapter;
        using var generator = new Generator(4);
        using (no_grad()) foreach (var p in adapter.Parameters) p.normal_(0, 0.2, generator);
        using var plain = TinyModels.Gpt2(1);
        using var heads = new ValueHeads(policy.HiddenSize, 2, ScalarType.Float64, CPU);
        RolloutSequences sequences = TinyModels.Sequences();

        var (policyLogProbs, referenceLogProbs, _, _) = RolloutScoring.Score(policy, policy, adapter, heads, sequences);

        using (no_grad())
        {
            Assert.Equal(TinyModels.Values(ResponseForward.Run(plain, sequences).LogProbs), TinyModels.Values(referenceLogProbs));
            Assert.NotEqual(TinyModels.Values(referenceLogProbs), TinyModels.Values(policyLogProbs));
        }
    }

    [Fact]
    public void CheckpointHoldsTheAdapterNotTheBaseAndResumesExactly()
    {
        string path = Path.Combine(_directory, "lora.ckpt");
        string fullPath = Path.Combine(_directory, "full.ckpt");
        var (policy, adapter) = Adapted();
        using var _ = adapter;
        using var trainer = new PamaTrainer<Gpt2Model>(policy, adapter, TinyModels.Tokenizer, Objectives(), TinyModels.Options());
        trainer.Step(TinyModels.Prompts);
        trainer.Save(path);
        var saved = Snapshot(policy, IsAdapter);
        StepMetrics continued = trainer.Step(TinyModels.Prompts);
        using (var full = new PamaTrainer<Gpt2Model>(TinyModels.Gpt2(1), TinyModels.Gpt2(1), TinyModels.Tokenizer, Objectives(), TinyModels.Options()))
            full.Save(fullPath);

        // A fresh base and a differently initialised adapter, restored from the checkpoint.
        var (resumedPolicy, resumedAdapter) = Adapted(seed: 99);
        using var __ = resumedAdapter;
        using var resumed = new PamaTrainer<Gpt2Model>(resumedPolicy, resumedAdapter, TinyModels.Tokenizer, Objectives(), TinyModels.Options());
        resumed.Load(path);
        Assert.True(TinyModels.BitwiseEqual(saved, Snapshot(resumedPolicy, IsAdapter)));
        StepMetrics afterLoad = resumed.Step(TinyModels.Prompts);

        Assert.Equal(continued.PolicyLoss, afterLoad.PolicyLoss, 1e-12);
        Assert.Equal(continued.Kl, afterLoad.Kl, 1e-12);
        Assert.True(TinyModels.BitwiseEqual(Snapshot(policy, _ => true), Snapshot(resumedPolicy, _ => true)));
        // The base's float64 weights alone are larger than the whole adapter checkpoint.
        long baseBytes = policy.named_parameters().Where(p => !IsAdapter(p.name)).Sum(p => p.parameter.numel()) * sizeof(double);
        Assert.True(new FileInfo(path).Length < baseBytes, $"{new FileInfo(path).Length} bytes");
        Assert.True(new FileInfo(path).Length < new FileInfo(fullPath).Length);
    }

    [Theory]
    [InlineData("pama", ScalarType.BFloat16)]
    [InlineData("mgda-ub", ScalarType.BFloat16)]
    [InlineData("morlhf", ScalarType.Float16)]
    public void HalfPrecisionBaseTrainsFloat32AdapterAndValueHeads(string method, ScalarType type)
    {
        var (policy, adapter) = Adapted(type);
        using var _ = adapter;
        Assert.All(adapter.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        IMultiObjectiveMethod combine = method switch { "mgda-ub" => new MgdaUbMethod(), "morlhf" => new MorlhfMethod(), _ => new PamaMethod() };
        using var trainer = new PamaTrainer<Gpt2Model>(policy, adapter, TinyModels.Tokenizer, Objectives(), TinyModels.Options(combine));
        Assert.All(trainer.ValueHeads.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var baseBefore = Snapshot(policy, n => !IsAdapter(n));
        var adapterBefore = Snapshot(policy, IsAdapter);

        StepMetrics metrics = trainer.Step(TinyModels.Prompts);

        Assert.True(metrics.PolicyUpdated);
        Assert.True(double.IsFinite(metrics.PolicyLoss));
        Assert.All(policy.named_parameters().Where(p => !IsAdapter(p.name)), p => Assert.Equal(type, p.parameter.dtype));
        Assert.True(TinyModels.BitwiseEqual(baseBefore, Snapshot(policy, n => !IsAdapter(n))));
        Assert.False(TinyModels.BitwiseEqual(adapterBefore, Snapshot(policy, IsAdapter)));
    }

    [Fact]
    public void AdapterOfAnotherModelIsRefused()
    {
        var (_, adapter) = Adapted();
        using var __ = adapter;
        using var other = TinyModels.Gpt2(1);

        Assert.Throws<ArgumentException>(() => new PamaTrainer<Gpt2Model>(other, adapter, TinyModels.Tokenizer, Objectives(), TinyModels.Options()));
    }
}
