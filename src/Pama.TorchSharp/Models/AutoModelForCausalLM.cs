using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Loads any supported Hugging Face causal language model from a checkpoint directory, choosing the
/// architecture by <c>model_type</c> in <c>config.json</c>, as <c>transformers</c>' class of the same name does.
/// </summary>
public static class AutoModelForCausalLM
{
    /// <summary>The <c>model_type</c> values this library loads.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["gpt2", .. LlamaConfig.SupportedModelTypes];

    /// <summary>
    /// Loads <c>config.json</c> and the weights (<c>model.safetensors</c> or shards listed in
    /// <c>model.safetensors.index.json</c>; F64, F32, F16 or BF16, converted to <paramref name="dtype"/>).
    /// The model is built, filled tensor by tensor, and returned only when every tensor loaded; on failure
    /// it is disposed and nothing is returned.
    /// </summary>
    /// <param name="directory">Checkpoint directory, e.g. a local copy of <c>Qwen/Qwen2.5-0.5B</c>, or that repository id when
    /// the Hugging Face cache holds it (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <param name="device">Device to place the model on; <c>null</c> means CPU.</param>
    /// <param name="dtype">Parameter type; <c>null</c> means float32.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist and no cache holds the repository; the message
    /// names the caches searched and the download command.</exception>
    /// <exception cref="InvalidOperationException">A CUDA device was asked for and CUDA is not usable; the message gives the fixes.</exception>
    /// <exception cref="FileNotFoundException"><c>config.json</c>, the weights or a shard is missing.</exception>
    /// <exception cref="InvalidDataException">The config has an unknown <c>model_type</c> or an unsupported setting, or the
    /// weights are malformed, missing, unexpected or of the wrong shape; the message names the file and the key or tensor.</exception>
    public static CausalLanguageModel FromPretrained(string directory, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = HuggingFaceCache.Resolve(directory);
        TorchRuntime.RequireUsable(device);
        string configPath = Path.Combine(directory, Gpt2Model.ConfigFileName);
        string modelType = ReadModelType(configPath);
        return modelType switch
        {
            "gpt2" => Gpt2Model.FromPretrained(directory, device, dtype),
            _ when LlamaConfig.SupportedModelTypes.Contains(modelType) => LlamaModel.FromPretrained(directory, device, dtype),
            _ => throw new InvalidDataException(
                $"{configPath}: model_type '{modelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})."),
        };
    }

    /// <summary>Reads <c>model_type</c> from a <c>config.json</c>.</summary>
    /// <param name="configPath">Path of the config file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON object or has no string <c>model_type</c>.</exception>
    public static string ReadModelType(string configPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(configPath);
        JsonObject root = IO.InputFile.ReadJsonObject(configPath, IO.InputFile.MaxConfigBytes, "model config");
        return root["model_type"] is JsonValue value && value.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw new InvalidDataException($"{configPath}: key 'model_type' is missing or not a string.");
    }
}
