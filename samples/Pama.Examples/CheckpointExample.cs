// readme:gpt2-checkpoint
using Pama.TorchSharp.Models;
using static TorchSharp.torch;
// readme:end

namespace Pama.Examples;

/// <summary>README: loading and saving Hugging Face GPT-2 checkpoints.</summary>
public static class CheckpointExample
{
    /// <summary>Loads <paramref name="modelDirectory"/>, clones it and saves it to <paramref name="outputDirectory"/>.</summary>
    public static void Run(string modelDirectory, string outputDirectory)
    {
        // readme:gpt2-checkpoint
        // A local copy of a Hugging Face GPT-2 checkpoint (e.g. openai-community/gpt2, distilgpt2, or your
        // fine-tuned one): config.json + model.safetensors (+ vocab.json + merges.txt for the tokenizer).
        Device device = cuda.is_available() ? CUDA : CPU;
        using Gpt2Model policy = Gpt2Model.FromPretrained(modelDirectory, device);   // float32 by default
        Gpt2Tokenizer tokenizer = Gpt2Tokenizer.CreateDefault();                      // or Gpt2Tokenizer.FromDirectory(modelDirectory)

        using Gpt2Model reference = policy.Clone();                                   // frozen reference policy
        policy.SavePretrained(outputDirectory);                                       // loadable by transformers too
        // readme:end
    }
}
