using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Training;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Lora;

/// <summary>
/// Damaged PEFT adapter files (adapter_model.safetensors truncated or with bytes flipped, adapter_config.json truncated,
/// flipped, of wrong types, absurd ranks, unknown targets) make <see cref="LoraAdapter.Load"/> throw an
/// <see cref="InvalidDataException"/> naming the file, and leave the model exactly as it was: same parameters bit for bit,
/// same logits, same <c>requires_grad</c> flags, no <c>lora_</c> module or hook. A valid adapter then still loads and
/// reproduces PEFT's logits. The intact files are the PEFT fixture <c>TestData/peft/gpt2-lora</c> on <c>TestData/hf/gpt2</c>.
/// </summary>
public sealed class DamagedAdapterFileTests
{
    private static long HeaderEnd(byte[] safetensors) => 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(safetensors);

    /// <summary>The model's state before any load: parameters, logits and flags.</summary>
    private sealed record State(Dictionary<string, double[]> Parameters, double[] Logits, Dictionary<string, bool> Flags)
    {
        public static State Of(PeftFixture fixture, CausalLanguageModel model) => new(
            TinyModels.Snapshot(model), fixture.Run(model), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad));

        public void AssertUnchanged(PeftFixture fixture, CausalLanguageModel model, string what)
        {
            Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains(".lora_", StringComparison.Ordinal));
            Assert.True(TinyModels.BitwiseEqual(Parameters, TinyModels.Snapshot(model)), $"A refused adapter ({what}) changed the model's parameters.");
            // Logits bitwise equal: no forward hook or wrapper branch was left behind.
            Assert.True(Logits.AsSpan().SequenceEqual(fixture.Run(model)), $"A refused adapter ({what}) changed the model's logits.");
            Assert.Equal(Flags, model.named_parameters().ToDictionary(p => p.name, p => p.parameter.requires_grad));
        }
    }

    /// <summary>An adapter directory holding the fixture's config and the given weights bytes.</summary>
    private static TestDirectory AdapterWith(PeftFixture fixture, byte[]? weights = null, byte[]? config = null)
    {
        var dir = new TestDirectory();
        File.WriteAllBytes(dir.File(LoraAdapter.WeightsFileName), weights ?? File.ReadAllBytes(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName)));
        File.WriteAllBytes(dir.File(LoraAdapter.ConfigFileName), config ?? File.ReadAllBytes(Path.Combine(fixture.AdapterDirectory, LoraAdapter.ConfigFileName)));
        return dir;
    }

    private static void AssertValidAdapterStillLoads(PeftFixture fixture, CausalLanguageModel model)
    {
        using LoraAdapter adapter = LoraAdapter.Load(model, fixture.AdapterDirectory);
        Assert.True(fixture.MaxErrorAtRealTokens(fixture.Logits, fixture.Run(model)) < 1e-9);
    }

    [Fact]
    public void TruncatedAdapterWeightsAreRefusedNamingTheFileAndLeaveTheModelUnchanged()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        byte[] good = File.ReadAllBytes(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName));
        long headerEnd = HeaderEnd(good);
        var cuts = new SortedSet<long> { 0, 1, 7, 8, 9, headerEnd - 1, headerEnd, headerEnd + 1, good.Length - 4, good.Length - 1 };
        for (long at = 10; at < headerEnd; at += Math.Max(1, headerEnd / 25)) cuts.Add(at);
        for (int i = 1; i < 25; i++) cuts.Add(headerEnd + (good.Length - headerEnd) * i / 25);

        using CausalLanguageModel model = fixture.LoadBase();
        State before = State.Of(fixture, model);
        using var dir = AdapterWith(fixture);
        string path = dir.File(LoraAdapter.WeightsFileName);
        foreach (long cut in cuts)
        {
            File.WriteAllBytes(path, good[..(int)cut]);
            var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));
            Assert.Contains(path, error.Message);
        }
        // Trailing bytes too: the tensors must end where the file ends.
        File.WriteAllBytes(path, [.. good, 0, 0, 0, 0]);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path)).Message);

        before.AssertUnchanged(fixture, model, "truncated weights");
        AssertValidAdapterStillLoads(fixture, model);
    }

    [Fact]
    public void FlippedBytesInAdapterWeightsAreRefusedWithoutTouchingTheModelOrLoadWhole()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        byte[] good = File.ReadAllBytes(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName));
        long headerEnd = HeaderEnd(good);
        // Flips in the length prefix, over the JSON header, and in the data (0x7F on a float's high byte makes inf or NaN).
        var positions = new SortedSet<long> { 0, 3, 7 };
        for (long at = 8; at < headerEnd; at += 29) positions.Add(at);
        for (int i = 0; i < 30; i++) positions.Add(headerEnd + (good.Length - headerEnd) / 4 / 30 * i * 4 + 3);

        CausalLanguageModel model = fixture.LoadBase();
        try
        {
            State before = State.Of(fixture, model);
            using var dir = AdapterWith(fixture);
            string path = dir.File(LoraAdapter.WeightsFileName);
            int refused = 0, tried = 0;
            foreach (long at in positions)
                foreach (byte mask in new byte[] { 0x01, 0x7F })
                {
                    byte[] copy = (byte[])good.Clone();
                    copy[at] ^= mask;
                    File.WriteAllBytes(path, copy);
                    tried++;
                    try
                    {
                        // Accepted (a flip a value or JSON absorbs): the adapter is whole; start again from a fresh base model.
                        using LoraAdapter accepted = LoraAdapter.Load(model, dir.Path);
                        Assert.Equal(12, accepted.Parameters.Count);
                        model.Dispose();
                        model = fixture.LoadBase();
                    }
                    catch (InvalidDataException e)
                    {
                        refused++;
                        Assert.Contains(path, e.Message);
                        before.AssertUnchanged(fixture, model, $"byte {at} ^ {mask:x2}");
                    }
                }
            Assert.True(refused > tried / 2, $"Only {refused} of {tried} damaged adapters were refused.");
            AssertValidAdapterStillLoads(fixture, model);
        }
        finally
        {
            model.Dispose();
        }
    }

    [Fact]
    public void TruncatedOrFlippedConfigsAreRefusedNamingTheFileOrLoadWhole()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        byte[] good = File.ReadAllBytes(Path.Combine(fixture.AdapterDirectory, LoraAdapter.ConfigFileName));
        CausalLanguageModel model = fixture.LoadBase();
        try
        {
            State before = State.Of(fixture, model);
            using var dir = AdapterWith(fixture);
            string path = dir.File(LoraAdapter.ConfigFileName);
            // Every truncation of a JSON object is invalid JSON.
            for (int cut = 0; cut < good.Length; cut += 11)
            {
                File.WriteAllBytes(path, good[..cut]);
                var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));
                Assert.Contains(path, error.Message);
            }
            before.AssertUnchanged(fixture, model, "truncated config");

            int refused = 0, tried = 0;
            for (int at = 0; at < good.Length; at += 3)
                foreach (byte mask in at % 2 == 0 ? new byte[] { 0x01, 0x80 } : [0x01])
                {
                    byte[] copy = (byte[])good.Clone();
                    copy[at] ^= mask;
                    File.WriteAllBytes(path, copy);
                    tried++;
                    try
                    {
                        using LoraAdapter accepted = LoraAdapter.Load(model, dir.Path);
                        model.Dispose();
                        model = fixture.LoadBase();
                    }
                    catch (InvalidDataException e)
                    {
                        refused++;
                        // A refusal names the config, or the weights file when the damaged config no longer fits it.
                        Assert.True(e.Message.Contains(path) || e.Message.Contains(dir.File(LoraAdapter.WeightsFileName)), e.Message);
                        before.AssertUnchanged(fixture, model, $"config byte {at} ^ {mask:x2}");
                    }
                }
            Assert.True(refused > tried / 3, $"Only {refused} of {tried} damaged configs were refused.");
            AssertValidAdapterStillLoads(fixture, model);
        }
        finally
        {
            model.Dispose();
        }
    }

    [Theory]
    [InlineData("r", "\"8\"")]                      // wrong type
    [InlineData("r", "8.5")]
    [InlineData("r", "0")]
    [InlineData("r", "-8")]
    [InlineData("r", "2147483647")]                 // absurd rank: the file's matrices are rank 8
    [InlineData("r", "1000000000000")]
    [InlineData("r", "1e999")]                      // not a finite double
    [InlineData("r", "null")]
    [InlineData("lora_alpha", "\"eight\"")]
    [InlineData("lora_alpha", "-1e999")]
    [InlineData("lora_alpha", "0")]
    [InlineData("lora_dropout", "1e999")]
    [InlineData("lora_dropout", "[0.1]")]
    [InlineData("use_rslora", "\"yes\"")]
    [InlineData("fan_in_fan_out", "1")]
    [InlineData("peft_type", "\"IA3\"")]
    [InlineData("peft_type", "7")]
    [InlineData("target_modules", "5")]
    [InlineData("target_modules", "[1, 2]")]
    [InlineData("target_modules", "[]")]
    [InlineData("target_modules", "[\"q_proj\", \"v_proj\"]")]        // unknown modules
    [InlineData("target_modules", "[\"c_attn\", \"c_proj\", \"ln_1\"]")] // a module LoRA cannot wrap
    [InlineData("target_modules", "\"(c_attn\"")]                      // an invalid regular expression
    [InlineData("target_modules", "\"transformer\\\\.h\\\\.0\\\\.attn\\\\.c_attn\"")] // a subset: the file holds more
    [InlineData("exclude_modules", "\"a)|(b\"")]
    [InlineData("rank_pattern", "{\"(\": 4}")]
    [InlineData("rank_pattern", "{\"c_attn\": 1000000000}")]
    [InlineData("rank_pattern", "{\"c_attn\": 1e999}")]
    [InlineData("alpha_pattern", "{\"c_attn\": \"x\"}")]
    [InlineData("use_dora", "true")]
    public void DamagedConfigValuesAreRefusedNamingTheConfigAndLeaveTheModelUnchanged(string key, string json)
    {
        using var fixture = new PeftFixture("gpt2-lora");
        string text = File.ReadAllText(Path.Combine(fixture.AdapterDirectory, LoraAdapter.ConfigFileName));
        // Written as raw text, so values System.Text.Json would not write (1e999) reach the reader.
        var root = JsonNode.Parse(text)!.AsObject();
        root.Remove(key);
        root["__placeholder__"] = 0;
        string damaged = root.ToJsonString().Replace("\"__placeholder__\":0", $"\"{key}\":{json}", StringComparison.Ordinal);
        using var dir = AdapterWith(fixture, config: Encoding.UTF8.GetBytes(damaged));
        using CausalLanguageModel model = fixture.LoadBase();
        State before = State.Of(fixture, model);

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));

        Assert.Contains(dir.File(LoraAdapter.ConfigFileName), error.Message);
        before.AssertUnchanged(fixture, model, $"{key}: {json}");
        AssertValidAdapterStillLoads(fixture, model);
    }

    [Theory]
    [InlineData("{\"r\": 8, \"r\": 4}")]        // duplicate key
    [InlineData("[1, 2, 3]")]                   // not an object
    [InlineData("{\"r\": 8,}")]                 // trailing comma
    [InlineData("{\"peft_type\": \"LO\u00ffRA\"}")] // replaced below by an invalid UTF-8 byte
    public void MalformedConfigJsonIsRefusedNamingTheConfig(string json)
    {
        using var fixture = new PeftFixture("gpt2-lora");
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        if (json.Contains('\u00ff'))
            bytes = [.. Encoding.UTF8.GetBytes("{\"peft_type\": \"LO"), 0xFF, .. Encoding.UTF8.GetBytes("RA\"}")];
        using var dir = AdapterWith(fixture, config: bytes);
        using CausalLanguageModel model = fixture.LoadBase();
        State before = State.Of(fixture, model);

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));

        Assert.Contains(dir.File(LoraAdapter.ConfigFileName), error.Message);
        before.AssertUnchanged(fixture, model, json);
    }

    [Fact]
    public void AConfigFarLargerThanAnyConfigIsRefusedUnread()
    {
        using var fixture = new PeftFixture("gpt2-lora");
        using var dir = AdapterWith(fixture);
        using (var stream = File.Create(dir.File(LoraAdapter.ConfigFileName))) stream.SetLength(64L << 20);
        using CausalLanguageModel model = fixture.LoadBase();

        var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));

        Assert.Contains(dir.File(LoraAdapter.ConfigFileName), error.Message);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("extra")]
    [InlineData("shape")]
    [InlineData("integer")]
    [InlineData("nan")]
    [InlineData("inf-last")]
    [InlineData("beyond-float32")]
    public void AnyBadTensorIsFoundBeforeTheModelChanges(string damage)
    {
        using var fixture = new PeftFixture("gpt2-lora");
        Dictionary<string, Tensor> tensors = SafeTensors.Load(Path.Combine(fixture.AdapterDirectory, LoraAdapter.WeightsFileName));
        List<Tensor> originals = [.. tensors.Values];
        try
        {
            // The last tensor in the model's order: every other layer is read (and would be attached) before it.
            string last = tensors.Keys.Where(k => k.Contains("h.1.mlp.c_proj.lora_B", StringComparison.Ordinal)).Single();
            Tensor value = tensors[last];
            switch (damage)
            {
                case "missing": tensors.Remove(last); break;
                case "extra": tensors["base_model.model.transformer.h.1.mlp.c_fc.lora_A.weight"] = value.clone(); break;
                case "shape": tensors[last] = value.narrow(1, 0, 4).contiguous(); break;
                case "integer": tensors[last] = value.to(ScalarType.Int64); break;
                case "nan": using (Scalar nan = double.NaN.ToScalar()) tensors[last] = value.clone().index_fill_(0, tensor(new long[] { 0 }), nan); break;
                case "inf-last": using (Scalar infinity = double.PositiveInfinity.ToScalar()) tensors[last] = value.clone().index_fill_(0, tensor(new long[] { value.shape[0] - 1 }), infinity); break;
                // Finite in float64, infinite in the float32 adapter of a float32 model.
                case "beyond-float32": using (Scalar huge = 1e300.ToScalar()) tensors[last] = value.to(ScalarType.Float64).index_fill_(0, tensor(new long[] { 0 }), huge); break;
            }
            using var dir = new TestDirectory();
            SafeTensors.Save(dir.File(LoraAdapter.WeightsFileName), tensors);
            File.Copy(Path.Combine(fixture.AdapterDirectory, LoraAdapter.ConfigFileName), dir.File(LoraAdapter.ConfigFileName));
            using CausalLanguageModel model = damage == "beyond-float32"
                ? AutoModelForCausalLM.FromPretrained(fixture.BaseDirectory, dtype: ScalarType.Float32)
                : fixture.LoadBase();
            State before = State.Of(fixture, model);

            var error = Assert.Throws<InvalidDataException>(() => LoraAdapter.Load(model, dir.Path));

            Assert.Contains(dir.File(LoraAdapter.WeightsFileName), error.Message);
            before.AssertUnchanged(fixture, model, damage);
        }
        finally
        {
            foreach (Tensor t in originals.Concat(tensors.Values).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>()) t.Dispose();
        }
    }
}
