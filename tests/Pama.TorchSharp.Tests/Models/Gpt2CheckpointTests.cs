using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Loading and saving Hugging Face style checkpoint directories.</summary>
public sealed class Gpt2CheckpointTests
{
    private static readonly long[] Probe = [3, 14, 15, 9, 26, 5];

    /// <summary>Writes config.json by hand and model.safetensors with the independent writer, using
    /// Hugging Face's on-disk names (no "transformer." prefix unless asked, optional lm_head and mask buffers).</summary>
    private static void WriteHuggingFaceCheckpoint(string directory, Gpt2Model source, string dtype, bool prefix, bool withLmHead, bool withMaskBuffers)
    {
        Gpt2Config c = source.Config;
        File.WriteAllText(Path.Combine(directory, "config.json"), $$"""
            {
              "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
              "bos_token_id": {{c.BosTokenId}}, "embd_pdrop": 0.1, "eos_token_id": {{c.EosTokenId}}, "initializer_range": 0.02,
              "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": {{c.ContextLength}}, "n_embd": {{c.HiddenSize}},
              "n_head": {{c.HeadCount}}, "n_inner": null, "n_layer": {{c.LayerCount}}, "n_positions": {{c.ContextLength}},
              "resid_pdrop": 0.1, "summary_activation": null, "summary_first_dropout": 0.1, "summary_proj_to_labels": true,
              "summary_type": "cls_index", "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50 } },
              "vocab_size": {{c.VocabularySize}}
            }
            """);
        var items = new List<HandWrittenSafeTensors.Item>();
        foreach (var (name, tensor) in source.state_dict())
        {
            string key = prefix ? name : name["transformer.".Length..];
            items.Add(Item(key, tensor, dtype));
            if (withMaskBuffers && name.EndsWith("attn.c_attn.weight", StringComparison.Ordinal))
            {
                string layer = key[..key.IndexOf(".attn.", StringComparison.Ordinal)];
                int n = c.ContextLength;
                double[] tril = Enumerable.Range(0, n * n).Select(i => i % n <= i / n ? 1.0 : 0.0).ToArray();
                items.Add(new(layer + ".attn.bias", "F32", [1, 1, n, n], HandWrittenSafeTensors.Float32(tril)));
            }
        }
        if (withLmHead) items.Add(Item("lm_head.weight", source.state_dict()["transformer.wte.weight"], dtype));
        items.Reverse();   // file order must not matter
        File.WriteAllBytes(Path.Combine(directory, "model.safetensors"), HandWrittenSafeTensors.Bytes(items));

        static HandWrittenSafeTensors.Item Item(string key, Tensor tensor, string dtype)
        {
            double[] values = TinyGpt2.Values(tensor);
            byte[] data = dtype == "F64" ? HandWrittenSafeTensors.Float64(values) : HandWrittenSafeTensors.Float32(values);
            return new(key, dtype, tensor.shape, data);
        }
    }

    private static double[] Logits(Gpt2Model model)
    {
        using var ids = TinyGpt2.Ids(Probe);
        using Tensor logits = model.forward(ids);
        return TinyGpt2.Values(logits);
    }

    [Fact]
    public void HuggingFaceNamedFloat64CheckpointLoadsToIdenticalLogits()
    {
        using Gpt2Model source = TinyGpt2.Create(TinyGpt2.Config(), seed: 21);
        using var dir = new TestDirectory();
        WriteHuggingFaceCheckpoint(dir.Path, source, "F64", prefix: false, withLmHead: false, withMaskBuffers: true);

        using Gpt2Model loaded = Gpt2Model.FromPretrained(dir.Path, dtype: ScalarType.Float64);
        Assert.Equal(source.Config with { EmbeddingDropout = 0.1, AttentionDropout = 0.1, ResidualDropout = 0.1 }, loaded.Config);
        Assert.False(loaded.training);
        Assert.Equal(Logits(source), Logits(loaded));
    }

    [Fact]
    public void PrefixedFloat32CheckpointWithTiedLmHeadLoads()
    {
        using Gpt2Model source = TinyGpt2.Create(TinyGpt2.Config(), seed: 22).to(ScalarType.Float32);
        using var dir = new TestDirectory();
        WriteHuggingFaceCheckpoint(dir.Path, source, "F32", prefix: true, withLmHead: true, withMaskBuffers: false);

        using Gpt2Model loaded = Gpt2Model.FromPretrained(dir.Path);
        Assert.Equal(ScalarType.Float32, loaded.DType);
        Assert.Equal(Logits(source), Logits(loaded));
    }

    [Fact]
    public void SavePretrainedRoundTrips()
    {
        using Gpt2Model source = TinyGpt2.Create(TinyGpt2.Config(layers: 3), seed: 23);
        using var dir = new TestDirectory();
        source.SavePretrained(dir.Path);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());

        using Gpt2Model loaded = Gpt2Model.FromPretrained(dir.Path, dtype: ScalarType.Float64);
        Assert.Equal(source.Config, loaded.Config);
        Assert.Equal(Logits(source), Logits(loaded));
        using SafeTensorsFile file = SafeTensorsFile.Open(Path.Combine(dir.Path, "model.safetensors"));
        Assert.Contains("transformer.h.2.mlp.c_proj.weight", file.Entries.Keys);
        Assert.DoesNotContain("lm_head.weight", file.Entries.Keys);
    }

    [Fact]
    public void MissingTensorIsReportedWithFileAndName()
    {
        using Gpt2Model source = TinyGpt2.Create(TinyGpt2.Config(), seed: 24);
        using var dir = new TestDirectory();
        WriteHuggingFaceCheckpoint(dir.Path, source, "F32", prefix: false, withLmHead: false, withMaskBuffers: false);
        string weights = Path.Combine(dir.Path, "model.safetensors");
        // Rewrite the file without one tensor.
        Dictionary<string, Tensor> all = SafeTensors.Load(weights);
        all.Remove("h.1.mlp.c_fc.bias", out Tensor? removed);
        removed!.Dispose();
        SafeTensors.Save(weights, all);
        foreach (Tensor t in all.Values) t.Dispose();

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Model.FromPretrained(dir.Path));
        Assert.Contains(weights, error.Message);
        Assert.Contains("h.1.mlp.c_fc.bias", error.Message);
    }

    [Fact]
    public void ShapeMismatchUnknownTensorAndUntiedHeadAreRejected()
    {
        using Gpt2Model source = TinyGpt2.Create(TinyGpt2.Config(), seed: 25);
        using Gpt2Model wider = TinyGpt2.Create(TinyGpt2.Config() with { HiddenSize = 20 }, seed: 25);
        using var dir = new TestDirectory();
        WriteHuggingFaceCheckpoint(dir.Path, wider, "F32", prefix: false, withLmHead: false, withMaskBuffers: false);
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), source.Config.ToJson());
        var shape = Assert.Throws<InvalidDataException>(() => Gpt2Model.FromPretrained(dir.Path));
        Assert.Contains("[61, 20]", shape.Message);
        Assert.Contains("[61, 16]", shape.Message);

        string weights = Path.Combine(dir.Path, "model.safetensors");
        source.SavePretrained(dir.Path);
        Dictionary<string, Tensor> all = SafeTensors.Load(weights);
        all["lm_head.weight"] = all["transformer.wte.weight"].Times(2);
        SafeTensors.Save(weights, all);
        Assert.Contains("lm_head.weight", Assert.Throws<InvalidDataException>(() => Gpt2Model.FromPretrained(dir.Path)).Message);

        all.Remove("lm_head.weight", out Tensor? head);
        head!.Dispose();
        all["transformer.h.0.attn.rotary"] = zeros(3);
        SafeTensors.Save(weights, all);
        Assert.Contains("transformer.h.0.attn.rotary", Assert.Throws<InvalidDataException>(() => Gpt2Model.FromPretrained(dir.Path)).Message);
        foreach (Tensor t in all.Values) t.Dispose();
    }

    [Fact]
    public void MissingFilesAreReported()
    {
        using var dir = new TestDirectory();
        Assert.Throws<DirectoryNotFoundException>(() => Gpt2Model.FromPretrained(dir.File("absent")));
        File.WriteAllText(dir.File("pytorch_model.bin"), "");
        var error = Assert.Throws<FileNotFoundException>(() => Gpt2Model.FromPretrained(dir.Path));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("pytorch_model.bin", error.Message);
    }
}
