using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models;

public sealed class Gpt2ConfigTests
{
    // The published config.json of openai-community/gpt2.
    private const string Gpt2Small = """
        {
          "activation_function": "gelu_new",
          "architectures": ["GPT2LMHeadModel"],
          "attn_pdrop": 0.1,
          "bos_token_id": 50256,
          "embd_pdrop": 0.1,
          "eos_token_id": 50256,
          "initializer_range": 0.02,
          "layer_norm_epsilon": 1e-05,
          "model_type": "gpt2",
          "n_ctx": 1024,
          "n_embd": 768,
          "n_head": 12,
          "n_layer": 12,
          "n_positions": 1024,
          "resid_pdrop": 0.1,
          "summary_activation": null,
          "summary_first_dropout": 0.1,
          "summary_proj_to_labels": true,
          "summary_type": "cls_index",
          "summary_use_proj": true,
          "task_specific_params": { "text-generation": { "do_sample": true, "max_length": 50 } },
          "vocab_size": 50257
        }
        """;

    [Fact]
    public void ReadsTheGpt2SmallConfig()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("config.json"), Gpt2Small);
        Gpt2Config config = Gpt2Config.FromJson(dir.File("config.json"));
        Assert.Equal(50257, config.VocabularySize);
        Assert.Equal(1024, config.ContextLength);
        Assert.Equal(768, config.HiddenSize);
        Assert.Equal(12, config.LayerCount);
        Assert.Equal(12, config.HeadCount);
        Assert.Equal(3072, config.MlpSize);
        Assert.Equal(64, config.HeadSize);
        Assert.Equal(1e-5, config.LayerNormEpsilon);
        Assert.Equal("gelu_new", config.Activation);
        Assert.Equal(0.1, config.ResidualDropout);
        Assert.Equal(50256, config.EosTokenId);
    }

    [Fact]
    public void ToJsonRoundTrips()
    {
        var config = new Gpt2Config { VocabularySize = 100, HiddenSize = 24, HeadCount = 3, LayerCount = 2, InnerSize = 40, LayerNormEpsilon = 1e-6, Activation = "gelu" };
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("config.json"), config.ToJson());
        Assert.Equal(config, Gpt2Config.FromJson(dir.File("config.json")));
    }

    [Theory]
    [InlineData("\"n_embd\": 768,", "", "'n_embd' is missing")]
    [InlineData("\"n_head\": 12,", "\"n_head\": \"twelve\",", "'n_head' must be an integer")]
    [InlineData("\"n_head\": 12,", "\"n_head\": 7,", "divisible by n_head")]
    [InlineData("\"activation_function\": \"gelu_new\",", "\"activation_function\": \"swish\",", "swish")]
    [InlineData("\"model_type\": \"gpt2\",", "\"model_type\": \"llama\",", "llama")]
    public void BadConfigsNameTheFileAndKey(string find, string replace, string expected)
    {
        using var dir = new TestDirectory();
        string path = dir.File("config.json");
        File.WriteAllText(path, Gpt2Small.Replace(find, replace, StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => Gpt2Config.FromJson(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }
}
