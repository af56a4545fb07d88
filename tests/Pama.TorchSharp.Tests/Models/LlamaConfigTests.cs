using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Both config dialects (transformers 4 and 5), family defaults, and the round trip through <see cref="LlamaConfig.ToJson"/>.</summary>
public sealed class LlamaConfigTests
{
    private const string Shape = "\"vocab_size\": 128, \"hidden_size\": 64, \"intermediate_size\": 96, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"max_position_embeddings\": 4096";

    [Fact]
    public void Transformers4AndTransformers5DialectsReadTheSame()
    {
        using var dir = new TestDirectory();
        string v4 = Write(dir, "v4.json", $$"""
            {"model_type": "llama", {{Shape}}, "num_key_value_heads": 2, "rope_theta": 500000.0, "torch_dtype": "bfloat16",
             "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
             "eos_token_id": [128001, 128008, 128009]}
            """);
        string v5 = Write(dir, "v5.json", $$"""
            {"model_type": "llama", {{Shape}}, "num_key_value_heads": 2, "dtype": "bfloat16",
             "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
             "eos_token_id": [128001, 128008, 128009]}
            """);
        LlamaConfig a = LlamaConfig.FromJson(v4), b = LlamaConfig.FromJson(v5);
        var expected = new RopeParameters { Type = "llama3", Theta = 500000, Factor = 8, LowFrequencyFactor = 1, HighFrequencyFactor = 4, OriginalMaxPositionEmbeddings = 8192 };
        Assert.Equal(expected, a.Rope);
        Assert.Equal(expected, b.Rope);
        Assert.Equal("bfloat16", a.StoredDType);
        Assert.Equal("bfloat16", b.StoredDType);
        Assert.Equal(new[] { 128001, 128008, 128009 }, a.EosTokenIds);
        Assert.Equal(2, a.KeyValueHeadCount);
        Assert.Equal(16, a.HeadSize);
    }

    [Theory]
    [InlineData("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}, \"rope_theta\": 1000.0", "linear", 1000.0, 2.0)]
    [InlineData("\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 3.0}", "dynamic", 10000.0, 3.0)]
    [InlineData("\"rope_scaling\": null, \"rope_theta\": 1000000.0", "default", 1000000.0, 1.0)]
    [InlineData("\"rope_parameters\": {\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 20.0}, \"rope_theta\": 1.0", "linear", 20.0, 2.0)]
    [InlineData("", "default", 10000.0, 1.0)]
    public void RopeSettingsFollowTransformersPrecedence(string rope, string type, double theta, double factor)
    {
        using var dir = new TestDirectory();
        string comma = rope.Length > 0 ? ", " : "";
        LlamaConfig config = LlamaConfig.FromJson(Write(dir, "config.json", $"{{\"model_type\": \"llama\", {Shape}{comma}{rope}}}"));
        Assert.Equal(type, config.Rope.Type);
        Assert.Equal(theta, config.Rope.Theta);
        Assert.Equal(factor, config.Rope.Factor);
    }

    [Fact]
    public void FamilyDefaultsAndBiases()
    {
        using var dir = new TestDirectory();
        LlamaConfig qwen = LlamaConfig.FromJson(Write(dir, "q.json", $"{{\"model_type\": \"qwen2\", {Shape}, \"use_sliding_window\": false, \"sliding_window\": 4096}}"));
        Assert.True(qwen.QueryKeyValueBias);
        Assert.False(qwen.OutputBias);
        Assert.Null(qwen.SlidingWindow);
        LlamaConfig llama = LlamaConfig.FromJson(Write(dir, "l.json", $"{{\"model_type\": \"llama\", {Shape}, \"attention_bias\": true, \"mlp_bias\": true, \"head_dim\": 32}}"));
        Assert.True(llama.QueryKeyValueBias && llama.OutputBias && llama.MlpBias);
        Assert.Equal(32, llama.HeadSize);
        Assert.Equal(4, llama.KeyValueHeadCount);
        LlamaConfig mistral = LlamaConfig.FromJson(Write(dir, "m.json", $"{{\"model_type\": \"mistral\", {Shape}, \"sliding_window\": 16, \"head_dim\": null}}"));
        Assert.Equal(16, mistral.SlidingWindow);
        Assert.Equal(new[] { 0, 1 }, mistral.SlidingLayers);
        Assert.Equal(16, mistral.HeadSize);
    }

    [Theory]
    [InlineData("llama", "{\"rope_type\": \"llama3\", \"factor\": 32.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192, \"rope_theta\": 500000.0}")]
    [InlineData("mistral", "{\"rope_type\": \"dynamic\", \"factor\": 2.0, \"rope_theta\": 1000000.0}")]
    [InlineData("qwen2", "{\"rope_type\": \"linear\", \"factor\": 4.0, \"rope_theta\": 1000000.0}")]
    public void ToJsonRoundTrips(string modelType, string rope)
    {
        using var dir = new TestDirectory();
        LlamaConfig config = LlamaConfig.FromJson(Write(dir, "a.json", $"{{\"model_type\": \"{modelType}\", {Shape}, \"rope_parameters\": {rope}, \"tie_word_embeddings\": true, \"eos_token_id\": 7}}"));
        LlamaConfig again = LlamaConfig.FromJson(Write(dir, "b.json", config.ToJson("float32")));
        Assert.Equal(config.Rope, again.Rope);
        Assert.Equal(config.ModelType, again.ModelType);
        Assert.Equal(config.TieWordEmbeddings, again.TieWordEmbeddings);
        Assert.Equal(config.HeadSize, again.HeadSize);
        Assert.Equal(config.QueryKeyValueBias, again.QueryKeyValueBias);
        Assert.Equal(config.EosTokenIds, again.EosTokenIds);
        Assert.Equal("float32", again.StoredDType);
    }

    private static string Write(TestDirectory dir, string name, string json)
    {
        File.WriteAllText(dir.File(name), json);
        return dir.File(name);
    }
}
