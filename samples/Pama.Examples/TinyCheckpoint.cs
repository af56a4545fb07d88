using Pama.TorchSharp.Models;

namespace Pama.Examples;

/// <summary>
/// A small randomly initialised GPT-2 with GPT-2's vocabulary and tokenizer files, saved as a Hugging Face checkpoint
/// directory, so that the README examples run in seconds (they are written for a real checkpoint such as openai-community/gpt2).
/// </summary>
public static class TinyCheckpoint
{
    /// <summary>Writes <c>config.json</c> and <c>model.safetensors</c> of a 2-layer, 32-wide GPT-2, and GPT-2's <c>vocab.json</c> and
    /// <c>merges.txt</c>, into <paramref name="directory"/>.</summary>
    public static string Create(string directory)
    {
        var config = new Gpt2Config { ContextLength = 64, HiddenSize = 32, LayerCount = 2, HeadCount = 2 }.WithoutDropout();
        using var model = new Gpt2Model(config, seed: 1);
        model.SavePretrained(directory);
        Gpt2Tokenizer.CreateDefault().SavePretrained(directory);
        return directory;
    }
}
