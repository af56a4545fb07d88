using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Damaged checkpoints fail with an exception that names the file and the tensor or key.</summary>
public sealed class CheckpointErrorTests
{
    [Fact]
    public void MissingShardNamesTheIndexAndTheShard()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("gpt2-bf16-sharded");
        File.Delete(dir.File("model-00003-of-00004.safetensors"));
        var error = Assert.Throws<FileNotFoundException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model-00003-of-00004.safetensors", error.Message);
        Assert.Contains(CheckpointReader.IndexFileName, error.Message);
    }

    [Theory]
    [InlineData("llama", "model.layers.1.mlp.up_proj.weight")]
    [InlineData("qwen2", "model.layers.0.self_attn.k_proj.bias")]
    public void MissingTensorIsNamed(string fixture, string tensor)
    {
        using TestDirectory dir = Rewrite(fixture, tensors => { tensors[tensor].Dispose(); tensors.Remove(tensor); });
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(tensor, error.Message);
        Assert.Contains(CheckpointReader.SingleFileName, error.Message);
    }

    [Fact]
    public void WrongShapeNamesTensorAndBothShapes()
    {
        using TestDirectory dir = Rewrite("llama", tensors => tensors["model.norm.weight"] = zeros(65));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model.norm.weight", error.Message);
        Assert.Contains("[65]", error.Message);
        Assert.Contains("[64]", error.Message);
        Assert.Contains(dir.File(CheckpointReader.SingleFileName), error.Message);
    }

    [Fact]
    public void UnexpectedTensorIsNamed()
    {
        using TestDirectory dir = Rewrite("qwen2", tensors => tensors["model.layers.0.self_attn.o_proj.bias"] = zeros(64));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model.layers.0.self_attn.o_proj.bias", error.Message);
    }

    [Fact]
    public void TiedCheckpointMayCarryTheOutputLayerAndOldRotaryBuffers()
    {
        using TestDirectory dir = Rewrite("qwen2", tensors =>
        {
            tensors["lm_head.weight"] = tensors["model.embed_tokens.weight"].clone();
            tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(8);
        });
        using CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(dir.Path);
        Assert.Equal("qwen2", model.ModelType);
    }

    [Fact]
    public void NonFiniteWeightIsNamed()
    {
        using TestDirectory dir = Rewrite("llama", tensors => tensors["model.layers.0.input_layernorm.weight"][3] = double.NaN);
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains("model.layers.0.input_layernorm.weight", error.Message);
    }

    [Fact]
    public void CorruptHeaderNamesTheFile()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("llama");
        string weights = dir.File(CheckpointReader.SingleFileName);
        byte[] bytes = File.ReadAllBytes(weights);
        bytes[12] = (byte)'#';
        File.WriteAllBytes(weights, bytes);
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(weights, error.Message);
    }

    [Fact]
    public void CorruptShardHeaderNamesTheShard()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("gpt2-bf16-sharded");
        string shard = dir.File("model-00002-of-00004.safetensors");
        using (var stream = File.OpenWrite(shard)) stream.Write(BitConverter.GetBytes(ulong.MaxValue));
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(shard, error.Message);
    }

    [Fact]
    public void IndexPointingAtTheWrongShardIsNamed()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("gpt2-bf16-sharded");
        var index = JsonNode.Parse(File.ReadAllText(dir.File(CheckpointReader.IndexFileName)))!.AsObject();
        var map = index["weight_map"]!.AsObject();
        string tensor = map.First(p => p.Value!.GetValue<string>() == "model-00001-of-00004.safetensors").Key;
        map[tensor] = "model-00004-of-00004.safetensors";
        File.WriteAllText(dir.File(CheckpointReader.IndexFileName), index.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(tensor, error.Message);
        Assert.Contains("model-00004-of-00004.safetensors", error.Message);
    }

    [Theory]
    [InlineData("model_type", "\"gemma\"", "model_type")]
    [InlineData("quantization_config", "{\"quant_method\": \"gptq\"}", "quantization_config")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act")]
    [InlineData("rope_parameters", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_parameters.rope_type")]
    [InlineData("rope_scaling", "{\"type\": \"longrope\", \"factor\": 4.0}", "rope_scaling.type")]
    [InlineData("rope_scaling", "{\"type\": \"linear\"}", "rope_scaling.factor")]
    [InlineData("num_key_value_heads", "3", "num_key_value_heads")]
    [InlineData("layer_types", "[\"full_attention\"]", "layer_types")]
    public void UnsupportedConfigNamesTheFileAndKey(string key, string json, string named)
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("llama");
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config[key] = JsonNode.Parse(json);
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(named, error.Message);
        Assert.Contains(dir.File("config.json"), error.Message);
    }

    [Fact]
    public void MissingWeightsAndMissingConfigAreNamed()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("qwen2");
        File.Delete(dir.File(CheckpointReader.SingleFileName));
        var weights = Assert.Throws<FileNotFoundException>(() => AutoModelForCausalLM.FromPretrained(dir.Path));
        Assert.Contains(CheckpointReader.IndexFileName, weights.Message);
        File.Delete(dir.File("config.json"));
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => AutoModelForCausalLM.FromPretrained(dir.Path)).Message);
    }

    /// <summary>Copies a single-file fixture with its tensors (as float64) changed by <paramref name="change"/>.</summary>
    private static TestDirectory Rewrite(string fixture, Action<Dictionary<string, Tensor>> change)
    {
        TestDirectory dir = HuggingFaceFixture.Copy(fixture);
        string weights = dir.File(CheckpointReader.SingleFileName);
        Dictionary<string, Tensor> tensors = SafeTensors.Load(weights, ScalarType.Float64);
        try
        {
            change(tensors);
            SafeTensors.Save(weights, tensors);
        }
        finally
        {
            foreach (Tensor t in tensors.Values) t.Dispose();
        }
        return dir;
    }
}
