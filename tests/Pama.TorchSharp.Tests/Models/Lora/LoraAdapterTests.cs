using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models.Lora;

/// <summary>Fresh adapters, Save → Load, and refusals of adapters that do not fit the model.</summary>
public sealed class LoraAdapterTests
{
    private static readonly LoraOptions GptOptions = new() { Rank = 4, Alpha = 8, TargetModules = ["c_attn", "c_proj"] };

    private static Dictionary<string, double[]> Snapshot(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => PeftFixture.Values(p.parameter));

    private static Dictionary<string, bool> Flags(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad);

    [Fact]
    public void FreshAdapterLeavesLogitsUnchangedAndFollowsPeftsInitialisation()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        double[] before = fixture.Run(model);
        using var generator = new Generator(3);

        using var adapter = LoraAdapter.Apply(model, GptOptions, generator);

        Assert.Equal(before, fixture.Run(model));
        // GPT-2 fixture: 2 blocks, each with attn.c_attn, attn.c_proj and mlp.c_proj (c_fc is not targeted).
        Assert.Equal(6, adapter.ModuleNames.Count);
        Assert.Contains("transformer.h.1.mlp.c_proj", adapter.ModuleNames);
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool isAdapter = name.Contains(".lora_", StringComparison.Ordinal);
            Assert.Equal(isAdapter, parameter.requires_grad);
            if (!isAdapter) continue;
            Assert.Equal(ScalarType.Float64, parameter.dtype);
            double[] values = PeftFixture.Values(parameter);
            if (name.EndsWith("lora_B.weight", StringComparison.Ordinal)) { Assert.All(values, v => Assert.Equal(0.0, v)); continue; }
            // kaiming_uniform_(a = √5) on [r, in]: uniform on ±1/√in; the mean square of U(−b, b) is b²/3.
            double bound = 1 / Math.Sqrt(parameter.shape[1]);
            Assert.All(values, v => Assert.InRange(Math.Abs(v), 0, bound));
            Assert.InRange(values.Average(v => v * v), bound * bound / 3 * 0.7, bound * bound / 3 * 1.3);
        }
    }

    [Fact]
    public void SameGeneratorStateGivesTheSameAdapter()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var a = fixture.LoadBase();
        using var b = fixture.LoadBase();
        using var c = fixture.LoadBase();
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var g3 = new Generator(6);
        using var first = LoraAdapter.Apply(a, GptOptions, g1);
        using var second = LoraAdapter.Apply(b, GptOptions, g2);
        using var third = LoraAdapter.Apply(c, GptOptions, g3);

        Assert.Equal(Snapshot(a), Snapshot(b));
        Assert.NotEqual(PeftFixture.Values(first.Parameters[0]), PeftFixture.Values(third.Parameters[0]));
    }

    [Fact]
    public void WithoutAGeneratorTheOptionsSeedFixesTheAdapter()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var a = fixture.LoadBase();
        using var b = fixture.LoadBase();
        using var c = fixture.LoadBase();
        using var first = LoraAdapter.Apply(a, GptOptions with { Seed = 4 });
        using var second = LoraAdapter.Apply(b, GptOptions with { Seed = 4 });
        using var third = LoraAdapter.Apply(c, GptOptions with { Seed = 5 });

        Assert.Equal(Snapshot(a), Snapshot(b));
        Assert.NotEqual(PeftFixture.Values(first.Parameters[0]), PeftFixture.Values(third.Parameters[0]));
    }

    [Fact]
    public void ScaleIsAlphaOverRankOrOverItsSquareRootWithRsLora()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        using var rs = fixture.LoadBase();
        using var generator = new Generator(1);
        using var plain = LoraAdapter.Apply(model, GptOptions, generator);
        using var stabilised = LoraAdapter.Apply(rs, GptOptions with { UseRsLora = true }, generator);
        double[] baseLogits;
        using (plain.Disable()) baseLogits = fixture.Run(model);
        using (no_grad())
            foreach (LoraAdapter adapter in new[] { plain, stabilised })
                foreach (var p in adapter.Parameters.Where((_, i) => i % 2 == 1)) p.Fill(0.01);
        using (no_grad())
            for (int i = 0; i < plain.Parameters.Count; i += 2) stabilised.Parameters[i].copy_(plain.Parameters[i]);

        // For tiny B the logit change is linear in the scale: α/√r over α/r is √r = 2.
        double[] plainDelta = [.. fixture.Run(model).Zip(baseLogits, (x, y) => x - y)];
        double[] rsDelta = [.. fixture.Run(rs).Zip(baseLogits, (x, y) => x - y)];
        int largest = Array.IndexOf(plainDelta, plainDelta.MaxBy(Math.Abs));
        Assert.Equal(2.0, rsDelta[largest] / plainDelta[largest], 1);
    }

    [Fact]
    public void SaveThenLoadIsExactAndWritesPeftsKeys()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var directory = new TestDirectory();
        using var source = fixture.LoadBase();
        using (var loaded = LoraAdapter.Load(source, fixture.AdapterDirectory)) loaded.Save(directory.Path);
        using var target = fixture.LoadBase();

        using var reloaded = LoraAdapter.Load(target, directory.Path);

        Assert.Equal(Snapshot(source), Snapshot(target));
        Assert.Equal(fixture.Run(source), fixture.Run(target));
        var written = SafeTensors.Load(Path.Combine(directory.Path, LoraAdapter.WeightsFileName));
        var original = SafeTensors.Load(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName));
        Assert.Equal(original.Keys.Order(), written.Keys.Order());
        foreach (var (key, value) in original) Assert.Equal(PeftFixture.Values(value), PeftFixture.Values(written[key]));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory.Path, LoraAdapter.ConfigFileName)))!;
        Assert.Equal("LORA", (string?)config["peft_type"]);
        Assert.Equal(8, (int)config["r"]!);
        Assert.True((bool)config["fan_in_fan_out"]!);
        Assert.Equal(["c_attn", "c_proj"], config["target_modules"]!.AsArray().Select(n => (string)n!).Order());
    }

    [Fact]
    public void AppliedAdapterRoundTripsThroughSaveAndLoad()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var directory = new TestDirectory();
        using var source = fixture.LoadBase();
        using var generator = new Generator(9);
        using var applied = LoraAdapter.Apply(source, GptOptions with { UseRsLora = true, Dropout = 0.1 }, generator);
        using (no_grad()) foreach (var p in applied.Parameters) p.normal_(0, 0.1, generator);
        applied.Save(directory.Path);
        using var target = fixture.LoadBase();

        using var loaded = LoraAdapter.Load(target, directory.Path);

        Assert.Equal(Snapshot(source), Snapshot(target));
        Assert.Equal(fixture.Run(source), fixture.Run(target));
    }

    [Fact]
    public void TargetModuleThatMatchesNothingIsRefusedNamingItAndNothingChanges()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        var before = Snapshot(model);
        using var generator = new Generator(1);

        var error = Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { TargetModules = ["c_attn", "q_proj"] }, generator));

        Assert.Contains("'q_proj'", error.Message);
        Assert.Equal(before, Snapshot(model));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void TargetModuleThatIsNotALinearLayerIsRefusedNamingIt()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        using var generator = new Generator(1);

        var error = Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { TargetModules = ["c_attn", "ln_1"] }, generator));

        Assert.Contains("transformer.h.0.ln_1", error.Message);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
    }

    [Fact]
    public void SecondAdapterOnTheSameModelIsRefused()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        using var generator = new Generator(1);
        using var adapter = LoraAdapter.Apply(model, GptOptions, generator);

        Assert.Throws<InvalidOperationException>(() => LoraAdapter.Load(model, fixture.AdapterDirectory));
    }

    [Fact]
    public void RankThatDisagreesWithTheConfigurationIsRefusedNamingTheModule()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var directory = CopyOf(fixture.AdapterDirectory, config => config["r"] = 4);
        using var model = fixture.LoadBase();
        var before = Snapshot(model);

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, directory.Path));

        Assert.Contains("transformer.h.0.attn.c_attn", error.Message);
        Assert.Equal(before, Snapshot(model));
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void AdapterForAnotherShapeOfModelIsRefusedNamingTheModule()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        // Same names, another width: GPT-2 with 32 hidden units instead of the fixture's 64.
        using var model = TinyGpt2.Create(TinyGpt2.Config(vocabulary: 512, hidden: 32, heads: 4), seed: 1);
        var before = Snapshot(model);

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, fixture.AdapterDirectory));

        Assert.Contains("transformer.h.0.attn.c_attn", error.Message);
        Assert.Equal(before, Snapshot(model));
    }

    [Fact]
    public void AdapterTargetingModulesTheModelLacksIsRefused()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var directory = CopyOf(fixture.AdapterDirectory, config => config["target_modules"] = new JsonArray("q_proj", "v_proj"));
        using var model = fixture.LoadBase();

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, directory.Path));

        Assert.Contains("q_proj", error.Message);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
    }

    [Fact]
    public void TensorOfAModuleOutsideTheTargetsIsRefusedNamingIt()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        // Targets only c_attn, while the file also holds c_proj's matrices.
        using var directory = CopyOf(fixture.AdapterDirectory, config => config["target_modules"] = new JsonArray("c_attn"));
        using var model = fixture.LoadBase();

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, directory.Path));

        Assert.Contains("c_proj.lora_", error.Message);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
    }

    [Fact]
    public void UnsupportedPeftFeaturesAreRefusedNamingTheKey()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var dora = CopyOf(fixture.AdapterDirectory, config => config["use_dora"] = true);
        using var model = fixture.LoadBase();

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dora.Path));

        Assert.Contains("use_dora", error.Message);
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var model = fixture.LoadBase();
        using var generator = new Generator(1);
        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { Rank = 0 }, generator));
        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { Dropout = 1 }, generator));
        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { TargetModules = null! }, generator));
        Assert.Throws<ArgumentException>(() => LoraAdapter.Apply(model, GptOptions with { Alpha = double.NaN }, generator));
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
    }

    [Fact]
    public void PaperPresetIsThePapersSetting()
    {
        Assert.Equal(64, LoraOptions.Paper.Rank);
        Assert.Equal(128, LoraOptions.Paper.Alpha);
        Assert.Equal(0.05, LoraOptions.Paper.Dropout);
    }

    private static TestDirectory CopyOf(string adapterDirectory, Action<JsonObject> edit)
    {
        var copy = new TestDirectory();
        foreach (string file in Directory.GetFiles(adapterDirectory)) File.Copy(file, copy.File(Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(copy.File(LoraAdapter.ConfigFileName)))!.AsObject();
        edit(config);
        File.WriteAllText(copy.File(LoraAdapter.ConfigFileName), config.ToJsonString());
        return copy;
    }
}
