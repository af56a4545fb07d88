using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>Loads a Hugging Face sequence classifier (reward model, sentiment classifier) from a checkpoint directory.</summary>
public static class AutoModelForSequenceClassification
{
    /// <summary>The <c>model_type</c>s of <c>config.json</c> that load.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["gpt2", "distilbert", .. LlamaConfig.SupportedModelTypes];

    /// <summary>
    /// Loads <c>config.json</c> and the safetensors weights (<c>model.safetensors</c> or shards with
    /// <c>model.safetensors.index.json</c>) of a <c>GPT2ForSequenceClassification</c>,
    /// <c>DistilBertForSequenceClassification</c> or Llama / Mistral / Qwen2 <c>...ForSequenceClassification</c>
    /// checkpoint, chosen by <c>model_type</c>.
    /// </summary>
    /// <param name="directory">Checkpoint directory, or a repository id the Hugging Face cache holds (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <param name="device">Device for the model; <c>null</c> means CPU.</param>
    /// <param name="dtype">Parameter type (weights are converted from the stored type); <c>null</c> means float32.</param>
    /// <returns>The classifier, in evaluation mode, owned by the caller.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">The config or weights are malformed, the model type or an option is not
    /// supported, or a tensor is missing, unexpected or the wrong shape; the message names the file and key or tensor.
    /// Nothing half-loaded is returned.</exception>
    public static SequenceClassifier FromPretrained(string directory, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = HuggingFaceCache.Resolve(directory);
        TorchRuntime.EnsureAvailable();
        TorchRuntime.RequireUsable(device);
        var config = ClassifierConfigFile.Load(Path.Combine(directory, "config.json"));
        string modelType = config.OptionalString("model_type")
                           ?? throw new InvalidDataException($"{config.Path}: required key 'model_type' is missing.");
        return modelType switch
        {
            "gpt2" => Gpt2ForSequenceClassification.Load(directory, config, device, dtype),
            "distilbert" => DistilBertForSequenceClassification.Load(directory, config, device, dtype),
            _ when LlamaConfig.SupportedModelTypes.Contains(modelType) => LlamaForSequenceClassification.Load(directory, config, device, dtype),
            _ => throw new InvalidDataException(
                $"{config.Path}: model_type '{modelType}' has no sequence classifier here; supported are {string.Join(", ", SupportedModelTypes)}."),
        };
    }
}
