using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Hyper-parameters of a GPT-2 model (Radford et al., 2019), read from and written to the
/// Hugging Face <c>config.json</c> format. Each property names its JSON key.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>Activation names accepted in <c>activation_function</c>: the tanh approximation of GELU
    /// (<c>gelu_new</c>, <c>gelu_pytorch_tanh</c>) and the exact erf form (<c>gelu</c>).</summary>
    public static IReadOnlyList<string> SupportedActivations { get; } = ["gelu_new", "gelu_pytorch_tanh", "gelu"];

    /// <summary><c>vocab_size</c>: number of token ids (50257 for GPT-2).</summary>
    public int VocabularySize { get; init; } = 50257;

    /// <summary><c>n_positions</c>: number of learned positions, the longest sequence.</summary>
    public int ContextLength { get; init; } = 1024;

    /// <summary><c>n_embd</c>: width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 768;

    /// <summary><c>n_layer</c>: number of transformer blocks.</summary>
    public int LayerCount { get; init; } = 12;

    /// <summary><c>n_head</c>: attention heads per block; must divide <see cref="HiddenSize"/>.</summary>
    public int HeadCount { get; init; } = 12;

    /// <summary><c>n_inner</c>: width of the MLP; <c>null</c> means 4 × <see cref="HiddenSize"/>.</summary>
    public int? InnerSize { get; init; }

    /// <summary><c>layer_norm_epsilon</c>: the ε added to the variance in every layer norm.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary><c>activation_function</c>: one of <see cref="SupportedActivations"/>.</summary>
    public string Activation { get; init; } = "gelu_new";

    /// <summary><c>embd_pdrop</c>: dropout probability on the summed embeddings (training mode only).</summary>
    public double EmbeddingDropout { get; init; } = 0.1;

    /// <summary><c>attn_pdrop</c>: dropout probability on the attention weights (training mode only).</summary>
    public double AttentionDropout { get; init; } = 0.1;

    /// <summary><c>resid_pdrop</c>: dropout probability on each residual branch (training mode only).</summary>
    public double ResidualDropout { get; init; } = 0.1;

    /// <summary><c>initializer_range</c>: standard deviation of the normal initialisation of weights.</summary>
    public double InitializerRange { get; init; } = 0.02;

    /// <summary><c>bos_token_id</c>.</summary>
    public int BosTokenId { get; init; } = 50256;

    /// <summary><c>eos_token_id</c>: the <c>&lt;|endoftext|&gt;</c> token for GPT-2.</summary>
    public int EosTokenId { get; init; } = 50256;

    /// <summary>The MLP width actually used: <see cref="InnerSize"/> or 4 × <see cref="HiddenSize"/>.</summary>
    public int MlpSize => InnerSize ?? 4 * HiddenSize;

    /// <summary>Width of one attention head.</summary>
    public int HeadSize => HiddenSize / HeadCount;

    /// <summary>
    /// Number of parameters the configuration implies (embeddings, blocks, final norm; the output layer is tied):
    /// <c>V·H + P·H + L·(4H + 3H² + 3H + H² + H + 2·H·M + M + H) + 2H</c>.
    /// </summary>
    /// <exception cref="OverflowException">The count does not fit in 64 bits.</exception>
    public long ParameterCount
    {
        get
        {
            checked
            {
                long h = HiddenSize, m = MlpSize;
                long block = 4 * h /* two layer norms */ + (h * 3 * h + 3 * h) /* c_attn */ + (h * h + h) /* attn c_proj */
                             + (h * m + m) /* c_fc */ + (m * h + h) /* mlp c_proj */;
                return (long)VocabularySize * h + (long)ContextLength * h + LayerCount * block + 2 * h;
            }
        }
    }

    /// <summary>This configuration with every dropout probability set to zero, the usual choice for
    /// RL fine-tuning (dropout makes the policy's log-probabilities noisy and draws from TorchSharp's global generator).</summary>
    public Gpt2Config WithoutDropout() => this with { EmbeddingDropout = 0, AttentionDropout = 0, ResidualDropout = 0 };

    /// <summary>Checks that the values describe a model that can be built.</summary>
    /// <param name="source">Where the values came from, quoted in error messages.</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names the JSON key.</exception>
    public void Validate(string source = "Gpt2Config")
    {
        RequirePositive(VocabularySize, "vocab_size");
        RequirePositive(ContextLength, "n_positions");
        RequirePositive(HiddenSize, "n_embd");
        RequirePositive(LayerCount, "n_layer");
        RequirePositive(HeadCount, "n_head");
        if (InnerSize is null && HiddenSize > int.MaxValue / 4)
            throw new ArgumentException($"{source}: n_embd ({HiddenSize}) is too large: the MLP width 4·n_embd does not fit in 32 bits.");
        RequirePositive(MlpSize, "n_inner");
        if (HiddenSize % HeadCount != 0)
            throw new ArgumentException($"{source}: n_embd ({HiddenSize}) must be divisible by n_head ({HeadCount}).");
        if (!(LayerNormEpsilon > 0) || !double.IsFinite(LayerNormEpsilon))
            throw new ArgumentException($"{source}: layer_norm_epsilon must be a positive finite number, got {LayerNormEpsilon}.");
        if (!SupportedActivations.Contains(Activation))
            throw new ArgumentException($"{source}: activation_function '{Activation}' is not supported (use one of {string.Join(", ", SupportedActivations)}).");
        RequireProbability(EmbeddingDropout, "embd_pdrop");
        RequireProbability(AttentionDropout, "attn_pdrop");
        RequireProbability(ResidualDropout, "resid_pdrop");
        if (!(InitializerRange >= 0) || !double.IsFinite(InitializerRange))
            throw new ArgumentException($"{source}: initializer_range must be a non-negative finite number, got {InitializerRange}.");
        try
        {
            _ = ParameterCount;
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{source}: the sizes (vocab_size {VocabularySize}, n_positions {ContextLength}, n_embd {HiddenSize}, " +
                                        $"n_layer {LayerCount}, n_inner {MlpSize}) imply more than 2⁶³ parameters.");
        }

        void RequirePositive(int value, string key)
        {
            if (value <= 0) throw new ArgumentException($"{source}: {key} must be positive, got {value}.");
        }

        void RequireProbability(double value, string key)
        {
            if (!(value >= 0 && value < 1)) throw new ArgumentException($"{source}: {key} must be in [0, 1), got {value}.");
        }
    }

    /// <summary>Reads a Hugging Face GPT-2 <c>config.json</c>.</summary>
    /// <param name="path">Path of the JSON file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON, a required key is missing, a value has the
    /// wrong type, or it describes a variant this implementation does not support; the message names the file and key.</exception>
    public static Gpt2Config FromJson(string path) => FromJson(path, requireTiedOutput: true);

    /// <summary>Reads a GPT-2 <c>config.json</c>; <paramref name="requireTiedOutput"/> false accepts
    /// <c>tie_word_embeddings = false</c>, which does not matter to models without an output layer (classifiers).</summary>
    internal static Gpt2Config FromJson(string path, bool requireTiedOutput)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonConfigReader reader = JsonConfigReader.Open(path, "GPT-2 config file", allowIntegralReals: false);
        if (reader.OptionalString("model_type") is { } modelType && modelType != "gpt2")
            throw new InvalidDataException($"{path}: model_type is '{modelType}', expected 'gpt2'.");
        if (reader.OptionalBool("add_cross_attention") == true)
            throw new InvalidDataException($"{path}: add_cross_attention = true is not supported.");
        if (reader.OptionalBool("scale_attn_by_inverse_layer_idx") == true)
            throw new InvalidDataException($"{path}: scale_attn_by_inverse_layer_idx = true is not supported.");
        if (reader.OptionalBool("scale_attn_weights") == false)
            throw new InvalidDataException($"{path}: scale_attn_weights = false is not supported.");
        if (requireTiedOutput && reader.OptionalBool("tie_word_embeddings") == false)
            throw new InvalidDataException($"{path}: tie_word_embeddings = false is not supported (GPT-2 ties lm_head to wte).");

        var defaults = new Gpt2Config();
        var config = new Gpt2Config
        {
            VocabularySize = reader.RequiredInt("vocab_size"),
            // Old GPT-2 configs also carry n_ctx, always equal to n_positions.
            ContextLength = reader.OptionalInt("n_positions") ?? reader.OptionalInt("n_ctx") ?? reader.RequiredInt("n_positions"),
            HiddenSize = reader.RequiredInt("n_embd"),
            LayerCount = reader.RequiredInt("n_layer"),
            HeadCount = reader.RequiredInt("n_head"),
            InnerSize = reader.OptionalInt("n_inner"),
            LayerNormEpsilon = reader.OptionalDouble("layer_norm_epsilon") ?? defaults.LayerNormEpsilon,
            Activation = reader.OptionalString("activation_function") ?? defaults.Activation,
            EmbeddingDropout = reader.OptionalDouble("embd_pdrop") ?? defaults.EmbeddingDropout,
            AttentionDropout = reader.OptionalDouble("attn_pdrop") ?? defaults.AttentionDropout,
            ResidualDropout = reader.OptionalDouble("resid_pdrop") ?? defaults.ResidualDropout,
            InitializerRange = reader.OptionalDouble("initializer_range") ?? defaults.InitializerRange,
            BosTokenId = reader.OptionalInt("bos_token_id") ?? defaults.BosTokenId,
            EosTokenId = reader.OptionalInt("eos_token_id") ?? defaults.EosTokenId,
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

    /// <summary>Serialises to a Hugging Face compatible GPT-2 <c>config.json</c> text.</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("GPT2LMHeadModel"),
            ["model_type"] = "gpt2",
            ["vocab_size"] = VocabularySize,
            ["n_positions"] = ContextLength,
            ["n_ctx"] = ContextLength,
            ["n_embd"] = HiddenSize,
            ["n_layer"] = LayerCount,
            ["n_head"] = HeadCount,
            ["n_inner"] = InnerSize,
            ["layer_norm_epsilon"] = LayerNormEpsilon,
            ["activation_function"] = Activation,
            ["embd_pdrop"] = EmbeddingDropout,
            ["attn_pdrop"] = AttentionDropout,
            ["resid_pdrop"] = ResidualDropout,
            ["initializer_range"] = InitializerRange,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenId,
            ["scale_attn_weights"] = true,
            ["tie_word_embeddings"] = true,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
