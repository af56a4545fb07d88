using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Hyper-parameters of a Llama-family decoder (<c>model_type</c> <c>llama</c>, <c>mistral</c> or <c>qwen2</c>), read from
/// and written to the Hugging Face <c>config.json</c>. Each property names its JSON key. Both dialects are read:
/// transformers 4 (<c>rope_theta</c>, <c>rope_scaling</c>, <c>torch_dtype</c>) and 5 (<c>rope_parameters</c>, <c>dtype</c>).
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The <c>model_type</c> values of this family.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "mistral", "qwen2"];

    /// <summary><c>model_type</c>: <c>llama</c>, <c>mistral</c> or <c>qwen2</c>.</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabularySize { get; init; } = 32000;

    /// <summary><c>hidden_size</c>: width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 4096;

    /// <summary><c>intermediate_size</c>: width of the SwiGLU MLP.</summary>
    public int IntermediateSize { get; init; } = 11008;

    /// <summary><c>num_hidden_layers</c>.</summary>
    public int LayerCount { get; init; } = 32;

    /// <summary><c>num_attention_heads</c>: query heads.</summary>
    public int HeadCount { get; init; } = 32;

    /// <summary><c>num_key_value_heads</c>: key/value heads (grouped-query attention); divides <see cref="HeadCount"/>.</summary>
    public int KeyValueHeadCount { get; init; } = 32;

    /// <summary><c>head_dim</c>: width of one head; <c>null</c> means <see cref="HiddenSize"/> / <see cref="HeadCount"/>.</summary>
    public int? HeadDimension { get; init; }

    /// <summary><c>max_position_embeddings</c>: the longest sequence.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;

    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEpsilon { get; init; } = 1e-6;

    /// <summary><c>tie_word_embeddings</c>: the output layer reuses the token embedding.</summary>
    public bool TieWordEmbeddings { get; init; }

    /// <summary>Whether q/k/v projections have biases (<c>attention_bias</c>; always for Qwen2).</summary>
    public bool QueryKeyValueBias { get; init; }

    /// <summary>Whether <c>o_proj</c> has a bias (<c>attention_bias</c> for Llama; never for Qwen2 and Mistral).</summary>
    public bool OutputBias { get; init; }

    /// <summary><c>mlp_bias</c>: biases in the MLP projections (Llama only).</summary>
    public bool MlpBias { get; init; }

    /// <summary>Rotary embedding settings (<c>rope_parameters</c>, or <c>rope_theta</c> + <c>rope_scaling</c>).</summary>
    public RopeParameters Rope { get; init; } = new();

    /// <summary><c>sliding_window</c> of the layers that use one (<see cref="SlidingLayers"/>); <c>null</c> means none.</summary>
    public int? SlidingWindow { get; init; }

    /// <summary>Layers that attend through a sliding window (<c>layer_types</c> "sliding_attention"); empty means none.</summary>
    public IReadOnlyList<int> SlidingLayers { get; init; } = [];

    /// <summary><c>attention_dropout</c>: dropout on attention weights in training mode.</summary>
    public double AttentionDropout { get; init; }

    /// <summary><c>initializer_range</c>.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }

    /// <summary><c>eos_token_id</c>: one id or several (Llama 3).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];

    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; init; }

    /// <summary><c>dtype</c> (transformers 4: <c>torch_dtype</c>): the type the weights were saved in, e.g. <c>bfloat16</c>.</summary>
    public string? StoredDType { get; init; }

    /// <summary>The head width actually used.</summary>
    public int HeadSize => HeadDimension ?? HiddenSize / HeadCount;

    /// <summary>
    /// Number of weight parameters the configuration implies, biases left out (so a lower bound):
    /// embeddings <c>V·H</c>, per layer the attention projections <c>2·H·(heads·d) + 2·H·(kv·d)</c>, the MLP <c>3·H·I</c>
    /// and two norms <c>2H</c>, the final norm <c>H</c>, and an untied output layer <c>V·H</c>.
    /// </summary>
    /// <exception cref="OverflowException">The count does not fit in 64 bits.</exception>
    public long ParameterCount
    {
        get
        {
            checked
            {
                long h = HiddenSize, d = HeadSize, v = VocabularySize;
                long layer = 2 * h * (HeadCount * d) + 2 * h * (KeyValueHeadCount * d) + 3 * h * IntermediateSize + 2 * h;
                return v * h + LayerCount * layer + h + (TieWordEmbeddings ? 0 : v * h);
            }
        }
    }

    /// <summary>Checks that the values describe a model that can be built.</summary>
    /// <param name="source">Where the values came from, quoted in error messages.</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the JSON key.</exception>
    public void Validate(string source = "LlamaConfig")
    {
        if (!SupportedModelTypes.Contains(ModelType))
            throw new ArgumentException($"{source}: model_type '{ModelType}' is not a Llama-family type ({string.Join(", ", SupportedModelTypes)}).");
        RequirePositive(VocabularySize, "vocab_size");
        RequirePositive(HiddenSize, "hidden_size");
        RequirePositive(IntermediateSize, "intermediate_size");
        RequirePositive(LayerCount, "num_hidden_layers");
        RequirePositive(HeadCount, "num_attention_heads");
        RequirePositive(KeyValueHeadCount, "num_key_value_heads");
        RequirePositive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HeadCount % KeyValueHeadCount != 0)
            throw new ArgumentException($"{source}: num_attention_heads ({HeadCount}) must be a multiple of num_key_value_heads ({KeyValueHeadCount}).");
        if (HeadDimension is null && HiddenSize % HeadCount != 0)
            throw new ArgumentException($"{source}: hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({HeadCount}) when head_dim is not given.");
        if (HeadSize <= 0 || HeadSize % 2 != 0)
            throw new ArgumentException($"{source}: head_dim must be a positive even number for rotary embeddings, got {HeadSize}.");
        if (!(RmsNormEpsilon > 0) || !double.IsFinite(RmsNormEpsilon))
            throw new ArgumentException($"{source}: rms_norm_eps must be a positive finite number, got {RmsNormEpsilon}.");
        if (!(AttentionDropout >= 0 && AttentionDropout < 1))
            throw new ArgumentException($"{source}: attention_dropout must be in [0, 1), got {AttentionDropout}.");
        if (!RopeParameters.SupportedTypes.Contains(Rope.Type))
            throw new ArgumentException($"{source}: rope_type '{Rope.Type}' is not supported (supported: {string.Join(", ", RopeParameters.SupportedTypes)}).");
        if (!(Rope.Theta > 0) || !double.IsFinite(Rope.Theta))
            throw new ArgumentException($"{source}: rope_theta must be a positive finite number, got {Rope.Theta}.");
        if (Rope.Type != "default" && !(Rope.Factor > 0 && double.IsFinite(Rope.Factor)))
            throw new ArgumentException($"{source}: rope factor must be a positive finite number, got {Rope.Factor}.");
        if (Rope.Type == "llama3" && !(Rope.HighFrequencyFactor > Rope.LowFrequencyFactor && Rope.LowFrequencyFactor > 0))
            throw new ArgumentException($"{source}: llama3 rope needs high_freq_factor > low_freq_factor > 0, got {Rope.HighFrequencyFactor} and {Rope.LowFrequencyFactor}.");
        if (SlidingWindow is { } window && window <= 0)
            throw new ArgumentException($"{source}: sliding_window must be positive, got {window}.");
        if (SlidingLayers.Any(layer => layer < 0 || layer >= LayerCount))
            throw new ArgumentException($"{source}: layer_types names layers outside [0, {LayerCount}).");

        try
        {
            _ = ParameterCount;
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{source}: the sizes (vocab_size {VocabularySize}, hidden_size {HiddenSize}, intermediate_size {IntermediateSize}, " +
                                        $"num_hidden_layers {LayerCount}, head_dim {HeadSize}) imply more than 2⁶³ parameters.");
        }

        void RequirePositive(int value, string key)
        {
            if (value <= 0) throw new ArgumentException($"{source}: {key} must be positive, got {value}.");
        }
    }

    /// <summary>Reads a Hugging Face <c>config.json</c> of a Llama, Mistral or Qwen2 checkpoint.</summary>
    /// <param name="path">Path of the JSON file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON, a required key is missing, a value has the wrong type,
    /// or it asks for something this implementation does not compute (another <c>model_type</c>, a rope type other than
    /// default / linear / dynamic / llama3, a partial rotary factor, an activation other than SiLU, quantised weights);
    /// the message names the file and the key.</exception>
    public static LlamaConfig FromJson(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonConfigReader reader = JsonConfigReader.Open(path);
        string modelType = reader.OptionalString("model_type") ?? throw reader.Error("model_type", "is missing.");
        if (!SupportedModelTypes.Contains(modelType))
            throw reader.Error("model_type", $"is '{modelType}', not one of {string.Join(", ", SupportedModelTypes)}.");
        if (reader.Has("quantization_config"))
            throw reader.Error("quantization_config", "is present: quantised checkpoints are not supported; use unquantised weights.");
        string activation = reader.OptionalString("hidden_act") ?? "silu";
        if (activation is not ("silu" or "swish"))
            throw reader.Error("hidden_act", $"is '{activation}'; only silu is supported.");
        if (reader.OptionalDouble("partial_rotary_factor") is { } partial && partial != 1.0)
            throw reader.Error("partial_rotary_factor", $"is {partial}; only full rotary embeddings are supported.");

        int layers = reader.RequiredInt("num_hidden_layers");
        int heads = reader.RequiredInt("num_attention_heads");
        int maxPositions = reader.OptionalInt("max_position_embeddings") ?? modelType switch
        {
            "mistral" => 4096 * 32,
            "qwen2" => 32768,
            _ => 2048,
        };
        bool attentionBias = reader.OptionalBool("attention_bias") ?? false;
        (int? window, int[] slidingLayers) = ReadSlidingWindow(reader, modelType, layers);

        var config = new LlamaConfig
        {
            ModelType = modelType,
            VocabularySize = reader.RequiredInt("vocab_size"),
            HiddenSize = reader.RequiredInt("hidden_size"),
            IntermediateSize = reader.RequiredInt("intermediate_size"),
            LayerCount = layers,
            HeadCount = heads,
            KeyValueHeadCount = reader.OptionalInt("num_key_value_heads") ?? heads,
            HeadDimension = reader.OptionalInt("head_dim"),
            MaxPositionEmbeddings = maxPositions,
            RmsNormEpsilon = reader.OptionalDouble("rms_norm_eps") ?? 1e-6,
            TieWordEmbeddings = reader.OptionalBool("tie_word_embeddings") ?? false,
            QueryKeyValueBias = modelType == "qwen2" || (modelType == "llama" && attentionBias),
            OutputBias = modelType == "llama" && attentionBias,
            MlpBias = modelType == "llama" && (reader.OptionalBool("mlp_bias") ?? false),
            Rope = ReadRope(reader, maxPositions),
            SlidingWindow = window,
            SlidingLayers = slidingLayers,
            AttentionDropout = reader.OptionalDouble("attention_dropout") ?? 0.0,
            InitializerRange = reader.OptionalDouble("initializer_range") ?? 0.02,
            BosTokenId = reader.OptionalInt("bos_token_id"),
            EosTokenIds = reader.OptionalIntList("eos_token_id"),
            PadTokenId = reader.OptionalInt("pad_token_id"),
            StoredDType = reader.OptionalString("dtype") ?? reader.OptionalString("torch_dtype"),
        };
        try
        {
            config.Validate(path);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
        return config;
    }

    /// <summary>
    /// Serialises to a <c>config.json</c> that transformers 5 and 4 both read: <c>rope_parameters</c> and <c>dtype</c>
    /// (transformers 5) next to <c>rope_theta</c>, <c>rope_scaling</c> and <c>torch_dtype</c> (transformers 4).
    /// </summary>
    /// <param name="dtype">The type of the weights saved with it, e.g. <c>float32</c>; <c>null</c> keeps <see cref="StoredDType"/>.</param>
    public string ToJson(string? dtype = null)
    {
        var rope = new JsonObject { ["rope_type"] = Rope.Type, ["rope_theta"] = Rope.Theta };
        if (Rope.Type != "default") rope["factor"] = Rope.Factor;
        if (Rope.Type == "llama3")
        {
            rope["low_freq_factor"] = Rope.LowFrequencyFactor;
            rope["high_freq_factor"] = Rope.HighFrequencyFactor;
            rope["original_max_position_embeddings"] = Rope.OriginalMaxPositionEmbeddings ?? MaxPositionEmbeddings;
        }
        JsonNode? scaling = null;
        if (Rope.Type != "default")
        {
            var legacy = (JsonObject)rope.DeepClone();
            legacy.Remove("rope_theta");
            legacy["type"] = Rope.Type;
            scaling = legacy;
        }
        string architecture = ModelType switch
        {
            "mistral" => "MistralForCausalLM",
            "qwen2" => "Qwen2ForCausalLM",
            _ => "LlamaForCausalLM",
        };
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabularySize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = LayerCount,
            ["num_attention_heads"] = HeadCount,
            ["num_key_value_heads"] = KeyValueHeadCount,
            ["head_dim"] = HeadSize,
            ["hidden_act"] = "silu",
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEpsilon,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_dropout"] = AttentionDropout,
            ["initializer_range"] = InitializerRange,
            ["rope_parameters"] = rope,
            ["rope_theta"] = Rope.Theta,
            ["rope_scaling"] = scaling,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenIds.Count switch
            {
                0 => null,
                1 => JsonValue.Create(EosTokenIds[0]),
                _ => new JsonArray(EosTokenIds.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray()),
            },
            ["pad_token_id"] = PadTokenId,
            ["dtype"] = dtype ?? StoredDType,
            ["torch_dtype"] = dtype ?? StoredDType,
        };
        if (ModelType == "llama")
        {
            root["attention_bias"] = QueryKeyValueBias;
            root["mlp_bias"] = MlpBias;
        }
        if (ModelType == "mistral") root["sliding_window"] = SlidingWindow;
        if (ModelType == "qwen2")
        {
            bool sliding = SlidingWindow is not null && SlidingLayers.Count > 0;
            root["use_sliding_window"] = sliding;
            root["sliding_window"] = SlidingWindow;
            root["max_window_layers"] = sliding ? SlidingLayers.Min() : LayerCount;
            root["layer_types"] = new JsonArray(Enumerable.Range(0, LayerCount)
                .Select(i => (JsonNode?)JsonValue.Create(sliding && SlidingLayers.Contains(i) ? "sliding_attention" : "full_attention")).ToArray());
        }
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The rotary settings as transformers 5 standardises them: <c>rope_scaling</c> (transformers 4) wins over
    /// <c>rope_parameters</c>; <c>rope_theta</c> inside the dict wins over the top-level key; the type is
    /// <c>rope_type</c>, else the legacy <c>type</c>, else <c>default</c>.
    /// </summary>
    private static RopeParameters ReadRope(JsonConfigReader reader, int maxPositions)
    {
        string key = reader.Has("rope_scaling") ? "rope_scaling" : "rope_parameters";
        JsonConfigReader? parameters = reader.OptionalObject(key);
        double theta = parameters?.OptionalDouble("rope_theta") ?? reader.OptionalDouble("rope_theta") ?? 10000.0;
        string type = parameters?.OptionalString("rope_type") ?? parameters?.OptionalString("type") ?? "default";
        if (!RopeParameters.SupportedTypes.Contains(type))
            throw (parameters ?? reader).Error(parameters?.Has("rope_type") == false ? "type" : "rope_type",
                $"is '{type}'; supported rotary types: {string.Join(", ", RopeParameters.SupportedTypes)}.");
        if (parameters?.OptionalDouble("partial_rotary_factor") is { } partial && partial != 1.0)
            throw parameters.Error("partial_rotary_factor", $"is {partial}; only full rotary embeddings are supported.");
        double factor = 1.0;
        if (type != "default")
            factor = parameters?.OptionalDouble("factor") ?? throw (parameters ?? reader).Error("factor", $"is required for rope type '{type}'.");
        var rope = new RopeParameters { Type = type, Theta = theta, Factor = factor };
        if (type == "llama3")
        {
            rope = rope with
            {
                LowFrequencyFactor = parameters!.OptionalDouble("low_freq_factor") ?? throw parameters.Error("low_freq_factor", "is required for rope type 'llama3'."),
                HighFrequencyFactor = parameters.OptionalDouble("high_freq_factor") ?? throw parameters.Error("high_freq_factor", "is required for rope type 'llama3'."),
                OriginalMaxPositionEmbeddings = parameters.OptionalInt("original_max_position_embeddings")
                                                ?? reader.OptionalInt("original_max_position_embeddings") ?? maxPositions,
            };
        }
        return rope;
    }

    /// <summary>
    /// Which layers use a sliding window, as transformers 5 decides: <c>layer_types</c> when given; otherwise
    /// Mistral slides in every layer when <c>sliding_window</c> is set, and Qwen2 in layers from
    /// <c>max_window_layers</c> on when <c>use_sliding_window</c> is true. Llama has none.
    /// </summary>
    private static (int? Window, int[] Layers) ReadSlidingWindow(JsonConfigReader reader, string modelType, int layers)
    {
        int? window = reader.OptionalInt("sliding_window");
        if (modelType == "qwen2" && reader.OptionalBool("use_sliding_window") != true) window = null;
        if (modelType == "llama") window = null;
        string[]? types = reader.OptionalStringList("layer_types");
        if (types is not null)
        {
            if (types.Length != layers)
                throw reader.Error("layer_types", $"lists {types.Length} layers, num_hidden_layers is {layers}.");
            foreach (string type in types)
            {
                if (type is not ("full_attention" or "sliding_attention"))
                    throw reader.Error("layer_types", $"holds '{type}'; only full_attention and sliding_attention are supported.");
            }
            int[] sliding = Enumerable.Range(0, layers).Where(i => types[i] == "sliding_attention").ToArray();
            if (sliding.Length > 0 && window is null && modelType == "llama")
                throw reader.Error("layer_types", "asks for sliding_attention, which Llama does not have.");
            return window is null ? (null, []) : (window, sliding);
        }
        if (window is null) return (null, []);
        if (modelType == "mistral") return (window, Enumerable.Range(0, layers).ToArray());
        int first = reader.OptionalInt("max_window_layers") ?? 28;
        return (window, Enumerable.Range(0, layers).Where(i => i >= first).ToArray());
    }
}
