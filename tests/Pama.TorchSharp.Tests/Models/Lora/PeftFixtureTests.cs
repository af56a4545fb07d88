using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models.Lora;

/// <summary><see cref="LoraAdapter"/> against adapters written by PEFT and the logits PEFT computed with them.</summary>
public sealed class PeftFixtureTests
{
    public static TheoryData<string> Fixtures => ["gpt2-lora", "llama-lora"];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LoadedAdapterReproducesPeftLogits(string name)
    {
        using var fixture = new PeftFixture(name);
        using var model = fixture.LoadBase();
        using var adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);

        Assert.True(fixture.MaxErrorAtRealTokens(fixture.Logits, fixture.Run(model)) < 1e-9);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void DisabledAdapterGivesTheBaseModelsLogitsExactly(string name)
    {
        using var fixture = new PeftFixture(name);
        using var plain = fixture.LoadBase();
        using var model = fixture.LoadBase();
        using var adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);
        double[] baseLogits = fixture.Run(plain);

        using (adapter.Disable())
        {
            Assert.Equal(baseLogits, fixture.Run(model));
            using (adapter.Disable()) Assert.False(adapter.IsActive);
            Assert.Equal(baseLogits, fixture.Run(model));
        }
        Assert.True(adapter.IsActive);
        Assert.True(fixture.MaxErrorAtRealTokens(fixture.Logits, fixture.Run(model)) < 1e-9);
        Assert.NotEqual(baseLogits, fixture.Run(model));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void MergeReproducesPeftMergedLogitsAndLeavesAPlainModel(string name)
    {
        using var fixture = new PeftFixture(name);
        using var model = fixture.LoadBase();
        string[] baseNames = [.. model.named_parameters().Select(p => p.name)];
        var adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);

        adapter.Merge();

        Assert.True(fixture.MaxErrorAtRealTokens(fixture.MergedLogits, fixture.Run(model)) < 1e-9);
        Assert.Equal(baseNames, model.named_parameters().Select(p => p.name));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad, "merging restores the base parameters' flags"));
        Assert.True(adapter.IsMerged);
        Assert.Empty(adapter.Parameters);
        Assert.Throws<InvalidOperationException>(() => adapter.Merge());
        Assert.Throws<InvalidOperationException>(() => adapter.Disable());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LoadFreezesTheBaseAndNamesParametersAsPeftSavesThem(string name)
    {
        using var fixture = new PeftFixture(name);
        using var model = fixture.LoadBase();
        using var adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);
        var stored = SafeTensors.Load(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName));

        string[] trainable = [.. model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => "base_model.model." + p.name)];
        Assert.Equal(stored.Keys.Order(), trainable.Order());
        Assert.Equal(stored.Values.Sum(t => t.numel()), adapter.ParameterCount);
        foreach (var (key, value) in stored)
            Assert.Equal(PeftFixture.Values(value), PeftFixture.Values(model.named_parameters().Single(p => "base_model.model." + p.name == key).parameter));
    }
    [Theory]
    [InlineData("gpt2-lora", new[] { "c_attn", "c_proj", "c_fc" })]
    [InlineData("llama-lora", new[] { "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj" })]
    public void FreshAdapterLeavesTheLogitsUnchangedUntilBMoves(string name, string[] targets)
    {
        using var fixture = new PeftFixture(name);
        using var model = fixture.LoadBase();
        double[] before = fixture.Run(model);

        using var adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 4, Alpha = 8, TargetModules = targets, Seed = 2 });

        Assert.Equal(before, fixture.Run(model));
        using (no_grad()) foreach (var p in adapter.Parameters) p.Fill(0.05);
        Assert.NotEqual(before, fixture.Run(model));
        using (adapter.Disable()) Assert.Equal(before, fixture.Run(model));
    }
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Bfloat16BaseWithFloat32AdapterStaysCloseToPeftsFloat64Logits(string name)
    {
        using var fixture = new PeftFixture(name);
        using var model = AutoModelForCausalLM.FromPretrained(fixture.BaseDirectory, dtype: ScalarType.BFloat16);
        using var adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);

        Assert.All(adapter.Parameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        double[] logits = fixture.Run(model);
        double[] expected = fixture.Logits;
        double scale = expected.Where(double.IsFinite).Max(Math.Abs);
        // bf16 keeps 8 significant bits: errors of a few percent of the largest logit, not more.
        Assert.True(fixture.MaxErrorAtRealTokens(expected, logits) < 0.05 * scale);
    }
}
