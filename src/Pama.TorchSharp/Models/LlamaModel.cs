using Pama.TorchSharp.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The Llama decoder (Touvron et al., 2023) and the architectures that share it, Mistral (Jiang et al., 2023) and
/// Qwen2 (Yang et al., 2024): pre-norm blocks with RMSNorm, rotary position embeddings, grouped-query attention
/// and a SwiGLU MLP. Parameter names are Hugging Face's (<c>model.layers.0.self_attn.q_proj.weight</c>), so
/// <c>state_dict</c> keys match <c>LlamaForCausalLM</c>, <c>MistralForCausalLM</c> and <c>Qwen2ForCausalLM</c> checkpoints.
/// </summary>
/// <remarks>
/// <para>For token ids <c>x</c>: <c>h₀ = embed_tokens[x]</c>; per layer <c>h ← h + o_proj(attn(rope(q_proj(n₁(h))),
/// rope(k_proj(n₁(h))), v_proj(n₁(h))))</c> and <c>h ← h + down_proj(silu(gate_proj(n₂(h))) ⊙ up_proj(n₂(h)))</c>,
/// where <c>n(h) = w ⊙ h / √(mean(h²) + ε)</c>; then <c>z = norm(h)</c> and logits <c>lm_head(z)</c> (or <c>z · embed_tokensᵀ</c>
/// when tied). Each of the <c>num_key_value_heads</c> key/value heads serves <c>num_attention_heads / num_key_value_heads</c>
/// query heads.</para>
/// <para>Where <c>transformers</c> rounds through float32 whatever the model's type (RMSNorm statistics, the rotary
/// angles, the attention softmax), this class does the same, so a float64 model reproduces its float64 outputs.</para>
/// <para>The projections are <see cref="Linear"/> sub-modules held in fields typed <see cref="nn.Module{T, TResult}"/>
/// under their Hugging Face names, so adapters can find them by name and wrap them.</para>
/// </remarks>
public sealed class LlamaModel : CausalLanguageModel
{
    private const string DecoderPrefix = "model.";

    // Field names are the Hugging Face names; TorchSharp registers fields under their own names.
    // Shortest rotary table built (positions), so that short calls of growing length do not rebuild it each time.
    private const long MinimumRotaryTableLength = 256;

    private readonly Decoder model;
#pragma warning disable IDE0044 // replaceable by name, like every projection
    private nn.Module<Tensor, Tensor>? lm_head;
#pragma warning restore IDE0044
    // Not a Tensor field, so RegisterComponents does not make the tables buffers (they stay out of state_dict and checkpoints).
    private RotaryTables? _rotaryTables;
    private readonly object _rotaryLock = new();

    /// <summary>Builds a model with zero weights (norm weights one) directly on <paramref name="device"/> in
    /// <paramref name="dtype"/>; <see cref="FromPretrained"/> or <c>load_state_dict</c> fills it. Nothing is drawn from any generator.</summary>
    /// <param name="config">Hyper-parameters; validated.</param>
    /// <param name="device">Device of the parameters; <c>null</c> means CPU.</param>
    /// <param name="dtype">Floating-point type of the parameters; <c>null</c> means float32.</param>
    public LlamaModel(LlamaConfig config, Device? device = null, ScalarType? dtype = null) : base(CheckedModuleName(config))
    {
        Config = config;
        Device target = device ?? CPU;
        ScalarType type = dtype ?? ScalarType.Float32;
        if (type is not (ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"The parameter type must be floating point, got {type}.", nameof(dtype));
        model = new Decoder(config, target, type);
        lm_head = config.TieWordEmbeddings ? null : ZeroLinear(config.HiddenSize, config.VocabularySize, false, target, type);
        RegisterComponents();
    }

    /// <summary>The hyper-parameters the model was built with.</summary>
    public LlamaConfig Config { get; }

    /// <inheritdoc />
    public override string ModelType => Config.ModelType;

    /// <inheritdoc />
    public override int VocabularySize => Config.VocabularySize;

    /// <inheritdoc />
    public override int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    /// <remarks><c>max_position_embeddings</c>, times the factor for <c>dynamic</c> rotary scaling, whose purpose is
    /// running past the trained length.</remarks>
    public override int ContextLength => Config.Rope.Type == "dynamic"
        ? (int)Math.Min(int.MaxValue, Math.Floor(Config.MaxPositionEmbeddings * Math.Max(1.0, Config.Rope.Factor)))
        : Config.MaxPositionEmbeddings;

    /// <inheritdoc />
    public override int LayerCount => Config.LayerCount;

    /// <inheritdoc />
    public override IReadOnlyList<string> DefaultLoraTargetModules { get; } = ["q_proj", "v_proj"];

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A tensor has the wrong shape or type, a token id is outside the
    /// vocabulary, a position is negative, or the sequence would exceed <see cref="ContextLength"/>.</exception>
    public override CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0)
    {
        var (batch, count, past, total, positionLimit) = CheckForwardArguments(inputIds, attentionMask, positionIds, cache, logitsToKeep);
        using var scope = NewDisposeScope();
        Tensor hidden = HiddenStates(inputIds, attentionMask, positionIds, cache, batch, count, past, total, positionLimit);
        // The output layer runs only on the kept positions.
        Tensor kept = KeptPositions(hidden, logitsToKeep);
        Tensor logits = lm_head is null ? TiedOutputProjection(kept, model.embed_tokens.weight) : lm_head.call(kept);
        return new CausalLMOutput(logits.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope());
    }

    /// <summary>The last hidden states <c>[B, T, H]</c> alone, as <see cref="Forward"/> computes them, with no output layer
    /// (no vocabulary logits): what <see cref="LlamaForSequenceClassification"/> reads.</summary>
    internal Tensor ForwardHiddenStates(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null)
    {
        var (batch, count, past, total, positionLimit) = CheckForwardArguments(inputIds, attentionMask, positionIds, cache);
        using var scope = NewDisposeScope();
        return HiddenStates(inputIds, attentionMask, positionIds, cache, batch, count, past, total, positionLimit).MoveToOuterDisposeScope();
    }

    /// <summary>The final hidden states after <c>model.norm</c>, in the caller's dispose scope; the arguments are checked.</summary>
    private Tensor HiddenStates(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache,
        long batch, long count, long past, long total, long positionLimit)
    {
        Device device = Device;
        Tensor ids = inputIds.to(device);
        Tensor positions = positionIds?.to(ScalarType.Int64, device)
                           ?? KeptScalars.Arange(past, total, ScalarType.Int64, device).unsqueeze(0).expand(batch, count);

        // allowed[b, 0, t, s]: new position t (absolute index past + t) may attend to key s when s <= past + t
        // and key s is a real token; sliding-window layers also need past + t - s < window.
        Tensor causal = ones(count, total, ScalarType.Bool, device).tril(past).view(1, 1, count, total);
        Tensor? padding = attentionMask?.to(device).Ne(0).view(batch, 1, 1, total);
        Tensor allowed = padding is null ? causal : causal.logical_and(padding);
        Tensor? slidingAllowed = null;
        if (Config.SlidingWindow is { } window && Config.SlidingLayers.Count > 0)
        {
            Tensor inWindow = ones(count, total, ScalarType.Bool, device).triu(past - window + 1).view(1, 1, count, total);
            slidingAllowed = allowed.logical_and(inWindow);
        }

        (Tensor cos, Tensor sin) = RotaryAngles(positions, positionLimit);
        bool fused = UsesFusedAttention(eagerSoftmaxInFloat32: true, Config.AttentionDropout);
        var full = AttentionMask.Create(allowed, fused, DType);
        AttentionMask? sliding = slidingAllowed is null ? null : AttentionMask.Create(slidingAllowed, fused, DType);
        bool checkpoint = CheckpointsBlocks(cache, training && Config.AttentionDropout > 0);
        return model.Forward(ids, cos, sin, full, sliding, cache, training, checkpoint);
    }

    /// <inheritdoc />
    public override LlamaModel Clone()
    {
        var copy = new LlamaModel(Config, Device, DType);
        try
        {
            copy.CopyParametersFrom(this);
            copy.AttentionImplementation = AttentionImplementation;
            copy.ActivationCheckpointing = ActivationCheckpointing;
            copy.train(training);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a Llama, Mistral or Qwen2 checkpoint directory: <c>config.json</c> and <c>model.safetensors</c> or shards
    /// listed in <c>model.safetensors.index.json</c>. The model is built on <paramref name="device"/> in
    /// <paramref name="dtype"/> and filled tensor by tensor; on any failure it is disposed and nothing is returned.
    /// </summary>
    /// <param name="directory">Checkpoint directory, or a repository id the Hugging Face cache holds (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <param name="device">Device to place the model on; <c>null</c> means CPU.</param>
    /// <param name="dtype">Parameter type; <c>null</c> means float32.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>config.json</c>, the weights or a shard is missing.</exception>
    /// <exception cref="InvalidDataException">The config or weights are malformed or unsupported, or a tensor is missing,
    /// unexpected or has the wrong shape; the message names the file and the key or tensor.</exception>
    public static LlamaModel FromPretrained(string directory, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = HuggingFaceCache.Resolve(directory);
        TorchRuntime.RequireUsable(device);
        string configPath = Path.Combine(directory, Gpt2Model.ConfigFileName);
        LlamaConfig config = LlamaConfig.FromJson(configPath);
        using CheckpointReader reader = CheckpointReader.Open(directory);
        reader.RequireRoomFor(config.ParameterCount, configPath);
        var model = new LlamaModel(config, device, dtype);
        try
        {
            // A tied checkpoint may still carry lm_head.weight (transformers re-ties it on load); old Llama
            // checkpoints carry the rotary inverse frequencies, which are computed here.
            reader.LoadInto(model, ignorable: key =>
                (config.TieWordEmbeddings && key == "lm_head.weight") || key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal));
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override void SavePretrained(string directory, long maxShardBytes = CheckpointWriter.DefaultMaxShardBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        string dtype = DType switch
        {
            ScalarType.Float64 => "float64",
            ScalarType.Float16 => "float16",
            ScalarType.BFloat16 => "bfloat16",
            _ => "float32",
        };
        byte[] config = System.Text.Encoding.UTF8.GetBytes(Config.ToJson(dtype));
        var tensors = named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)).ToList();
        CheckpointWriter.Save(directory, tensors, maxShardBytes);
        AtomicFile.Write(Path.Combine(directory, Gpt2Model.ConfigFileName), stream => stream.Write(config));
    }

    /// <summary>
    /// cos and sin of the rotary angles <c>[B, T, head_dim]</c> in the model's type, computed in float32 as transformers
    /// computes them, gathered by position from tables cached on the device (<see cref="RotaryTables"/>), so a forward pass
    /// neither computes frequencies on the host nor uploads anything.
    /// </summary>
    /// <param name="positions">int64 positions <c>[B, T]</c> on the model's device.</param>
    /// <param name="positionLimit">The largest position plus one when known without a read-back, −1 otherwise.</param>
    /// <remarks>
    /// <c>dynamic</c> scaling changes the frequencies with the call's length (its largest position plus one, read back
    /// when the argument check did not already): up to <c>max_position_embeddings</c> they are the default ones and the
    /// cached table serves; beyond it every length has its own base, so those calls bypass the cache and compute their
    /// angles as before (<see cref="UncachedRotaryAngles"/>). Every other variant's frequencies are fixed.
    /// </remarks>
    private (Tensor Cos, Tensor Sin) RotaryAngles(Tensor positions, long positionLimit)
    {
        ScalarType type = DType;
        long limit = positionLimit;
        if (Config.Rope.Type == "dynamic")
        {
            long sequenceLength = limit >= 0 ? limit : ReadMaximum(positions) + 1;
            if (sequenceLength > Config.MaxPositionEmbeddings || !CachesRotaryTables)
                return UncachedRotaryAngles(positions, sequenceLength, type);
            limit = sequenceLength;
        }
        else if (!CachesRotaryTables)
        {
            return UncachedRotaryAngles(positions, 0, type);
        }
        // Unknown largest position (an unchecked decode step on an accelerator): a table for the whole trained range.
        if (limit < 0) limit = Config.MaxPositionEmbeddings;

        long[] shape = [.. positions.shape, Config.HeadSize];
        using Tensor flat = positions.reshape(-1);
        lock (_rotaryLock)
        {
            RotaryTables tables = RotaryTablesFor(positions.device, type, limit);
            return (tables.Cos.index_select(0, flat).view(shape), tables.Sin.index_select(0, flat).view(shape));
        }
    }

    /// <summary>The cached tables for <paramref name="device"/> and <paramref name="type"/> covering positions below
    /// <paramref name="limit"/>, built (or grown, doubling, up to <c>max_position_embeddings</c>) when the held ones do not.</summary>
    private RotaryTables RotaryTablesFor(Device device, ScalarType type, long limit)
    {
        RotaryTables? held = _rotaryTables;
        bool sameKey = held is not null && held.DeviceType == device.type && held.DeviceIndex == device.index && held.DType == type;
        if (sameKey && held!.Length >= limit) return held;
        long length = Math.Max(limit, Math.Min(Config.MaxPositionEmbeddings, Math.Max(MinimumRotaryTableLength, sameKey ? 2 * held!.Length : 0)));
        RotaryTables tables;
        using (DisposeScope scope = NewDisposeScope())
        {
            Tensor inverse = Config.Rope.InverseFrequencies(Config.HeadSize, Config.MaxPositionEmbeddings).to(device);
            (Tensor cos, Tensor sin) = CosSin(KeptScalars.Arange(0, length, ScalarType.Int64, device), inverse, type);
            // Detached from every dispose scope (the caller's forward pass runs in one): the model owns the tables.
            tables = new RotaryTables(device.type, device.index, type, length, cos.DetachFromDisposeScope(), sin.DetachFromDisposeScope());
        }
        _rotaryTables = tables;
        held?.Dispose();
        return tables;
    }

    /// <summary>The rotary angles computed for these positions alone, as before the tables were cached: <c>dynamic</c>
    /// calls past the trained length, and the reference the tests compare the tables with.</summary>
    private (Tensor Cos, Tensor Sin) UncachedRotaryAngles(Tensor positions, long sequenceLength, ScalarType type)
    {
        Tensor inverse = Config.Rope.InverseFrequencies(Config.HeadSize, Config.MaxPositionEmbeddings, sequenceLength).to(positions.device);
        return CosSin(positions, inverse, type);
    }

    /// <summary>cos and sin of <c>[positions · ω, positions · ω]</c> in float32, times the attention scaling, cast to <paramref name="type"/>.</summary>
    private (Tensor Cos, Tensor Sin) CosSin(Tensor positions, Tensor inverse, ScalarType type)
    {
        Tensor angles = positions.to_type(ScalarType.Float32).unsqueeze(-1).mul(inverse);
        Tensor doubled = cat([angles, angles], -1);
        return (doubled.cos().Times(Config.Rope.AttentionScaling).to_type(type), doubled.sin().Times(Config.Rope.AttentionScaling).to_type(type));
    }

    private static long ReadMaximum(Tensor t)
    {
        using Tensor max = t.max();
        return HostReads.Long(max);
    }

    /// <summary>Whether forward passes gather the rotary angles from cached tables (the default); off, every pass computes
    /// them for its own positions, as before the cache existed. For tests.</summary>
    internal bool CachesRotaryTables { get; set; } = true;

    /// <summary>Device, type and length of the cached rotary tables; <c>null</c> before the first forward pass. For tests.</summary>
    internal (DeviceType DeviceType, int DeviceIndex, ScalarType DType, long Length)? RotaryTableKey =>
        _rotaryTables is { } t ? (t.DeviceType, t.DeviceIndex, t.DType, t.Length) : null;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_rotaryLock)
            {
                _rotaryTables?.Dispose();
                _rotaryTables = null;
            }
        }
        base.Dispose(disposing);
    }

    /// <summary>cos and sin <c>[L, head_dim]</c> of positions <c>0 .. L − 1</c> on one device in one type, owned by the model
    /// (not by any dispose scope); replaced when a longer length, another device or another type is asked for.</summary>
    private sealed record RotaryTables(DeviceType DeviceType, int DeviceIndex, ScalarType DType, long Length, Tensor Cos, Tensor Sin) : IDisposable
    {
        public void Dispose()
        {
            Cos.Dispose();
            Sin.Dispose();
        }
    }

    /// <summary>
    /// A TorchSharp <see cref="Linear"/> with zero weights: built 1 × 1 and given full-size zero parameters, so that
    /// construction neither spends time on an initialisation the checkpoint overwrites nor draws from the global generator.
    /// </summary>
    private static Linear ZeroLinear(long inputs, long outputs, bool bias, Device device, ScalarType dtype)
    {
        Linear linear = nn.Linear(1, 1, bias, device, dtype);
        Parameter tinyWeight = linear.weight;
        Parameter? tinyBias = linear.bias;
        linear.weight = new Parameter(zeros(outputs, inputs, dtype, device));
        tinyWeight.Dispose();
        if (tinyBias is not null)
        {
            linear.bias = new Parameter(zeros(outputs, dtype, device));
            tinyBias.Dispose();
        }
        return linear;
    }

    private static string CheckedModuleName(LlamaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TorchRuntime.EnsureAvailable();
        return config.ModelType switch
        {
            "mistral" => "MistralForCausalLM",
            "qwen2" => "Qwen2ForCausalLM",
            _ => "LlamaForCausalLM",
        };
    }

    /// <summary>The <c>model</c> sub-module: token embedding, decoder layers and the final norm.</summary>
    private sealed class Decoder : nn.Module
    {
        public readonly Embedding embed_tokens;
        public readonly ModuleList<DecoderLayer> layers;
        public readonly RmsNorm norm;

        public Decoder(LlamaConfig config, Device device, ScalarType dtype) : base("model")
        {
            embed_tokens = new Embedding(config.VocabularySize, config.HiddenSize, device, dtype);
            layers = new ModuleList<DecoderLayer>(Enumerable.Range(0, config.LayerCount)
                .Select(i => new DecoderLayer(config, i, device, dtype)).ToArray());
            norm = new RmsNorm(config.HiddenSize, config.RmsNormEpsilon, device, dtype);
            RegisterComponents();
        }

        public Tensor Forward(Tensor ids, Tensor cos, Tensor sin, AttentionMask full, AttentionMask? sliding, KeyValueCache? cache, bool training, bool checkpoint)
        {
            Tensor x = embed_tokens.Forward(ids);
            // Without gradients each layer's intermediates are freed as it returns (BlockScopes); checkpointing needs gradients.
            x = BlockScopes.Chain(x, layers, (layer, input) =>
            {
                AttentionMask mask = layer.Sliding ? sliding!.Value : full;
                return checkpoint
                    ? ActivationCheckpoint.Run(
                        t => layer.Forward(t[0], t[1], t[2], new AttentionMask(t[3], t.Length > 4 ? t[4] : null), null, training),
                        mask.Bias is { } bias ? [input, cos, sin, mask.Allowed, bias] : [input, cos, sin, mask.Allowed], layer)
                    : layer.Forward(input, cos, sin, mask, cache, training);
            });
            return norm.Forward(x);
        }
    }

    /// <summary>One pre-norm block: <c>x + self_attn(input_layernorm(x))</c>, then <c>x + mlp(post_attention_layernorm(x))</c>.</summary>
    private sealed class DecoderLayer : nn.Module
    {
        public readonly RmsNorm input_layernorm;
        public readonly Attention self_attn;
        public readonly RmsNorm post_attention_layernorm;
        public readonly Mlp mlp;

        public DecoderLayer(LlamaConfig config, int layer, Device device, ScalarType dtype) : base($"layer{layer}")
        {
            input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEpsilon, device, dtype);
            self_attn = new Attention(config, layer, device, dtype);
            post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEpsilon, device, dtype);
            mlp = new Mlp(config, device, dtype);
            Sliding = config.SlidingWindow is not null && config.SlidingLayers.Contains(layer);
            RegisterComponents();
        }

        public bool Sliding { get; }

        public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionMask mask, KeyValueCache? cache, bool training)
        {
            x = x.Plus(self_attn.Forward(input_layernorm.Forward(x), cos, sin, mask, cache, training));
            return x.Plus(mlp.Forward(post_attention_layernorm.Forward(x)));
        }
    }

    /// <summary>Grouped-query causal self-attention with rotary embeddings on queries and keys.</summary>
    private sealed class Attention : nn.Module
    {
#pragma warning disable IDE0044 // replaceable by name (adapters wrap the projections)
        private nn.Module<Tensor, Tensor> q_proj;
        private nn.Module<Tensor, Tensor> k_proj;
        private nn.Module<Tensor, Tensor> v_proj;
        private nn.Module<Tensor, Tensor> o_proj;
#pragma warning restore IDE0044
        private readonly int _layer;
        private readonly int _heads;
        private readonly int _keyValueHeads;
        private readonly int _headSize;
        private readonly double _dropout;

        public Attention(LlamaConfig config, int layer, Device device, ScalarType dtype) : base("self_attn")
        {
            _layer = layer;
            _heads = config.HeadCount;
            _keyValueHeads = config.KeyValueHeadCount;
            _headSize = config.HeadSize;
            _dropout = config.AttentionDropout;
            q_proj = ZeroLinear(config.HiddenSize, _heads * _headSize, config.QueryKeyValueBias, device, dtype);
            k_proj = ZeroLinear(config.HiddenSize, _keyValueHeads * _headSize, config.QueryKeyValueBias, device, dtype);
            v_proj = ZeroLinear(config.HiddenSize, _keyValueHeads * _headSize, config.QueryKeyValueBias, device, dtype);
            o_proj = ZeroLinear(_heads * _headSize, config.HiddenSize, config.OutputBias, device, dtype);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionMask mask, KeyValueCache? cache, bool training)
        {
            long batch = x.shape[0], count = x.shape[1];
            Tensor query = q_proj.call(x).view(batch, count, _heads, _headSize).transpose(1, 2);
            Tensor key = k_proj.call(x).view(batch, count, _keyValueHeads, _headSize).transpose(1, 2);
            Tensor value = v_proj.call(x).view(batch, count, _keyValueHeads, _headSize).transpose(1, 2);
            Tensor c = cos.unsqueeze(1), s = sin.unsqueeze(1);
            query = (query * c).Plus(RotateHalf(query) * s);
            key = (key * c).Plus(RotateHalf(key) * s);
            if (cache is not null) (key, value) = cache.Append(_layer, key, value);
            key = RepeatKeyValue(key);
            value = RepeatKeyValue(value);

            Tensor attended;
            if (mask.Bias is { } bias)
            {
                attended = F.scaled_dot_product_attention(query, key, value, bias);
            }
            else
            {
                using Scalar scale = Math.Pow(_headSize, -0.5).ToScalar();
                Tensor scores = query.matmul(key.transpose(2, 3)).mul(scale);
                // transformers' eager attention takes the softmax in float32 whatever the model's type. Masked scores get
                // float32's most negative value rather than -inf, so a row with no allowed key (a padding query) gets
                // uniform weights instead of NaN; its output is never used.
                using Scalar lowest = finfo(ScalarType.Float32).min.ToScalar();
                Tensor masked = scores.to_type(ScalarType.Float32).masked_fill(mask.Allowed.logical_not(), lowest);
                Tensor weights = F.dropout(F.softmax(masked, -1).to_type(query.dtype), _dropout, training);
                attended = weights.matmul(value);
            }
            Tensor merged = attended.transpose(1, 2).reshape(batch, count, _heads * _headSize);
            return o_proj.call(merged);
        }

        /// <summary>Each key/value head serves <c>heads / key_value_heads</c> consecutive query heads.</summary>
        private Tensor RepeatKeyValue(Tensor t)
        {
            int groups = _heads / _keyValueHeads;
            if (groups == 1) return t;
            long batch = t.shape[0], length = t.shape[2];
            return t.unsqueeze(2).expand(batch, _keyValueHeads, groups, length, _headSize).reshape(batch, _heads, length, _headSize);
        }

        /// <summary>(x₁, x₂) ↦ (−x₂, x₁) on the two halves of the last dimension.</summary>
        private static Tensor RotateHalf(Tensor t)
        {
            long half = t.shape[^1] / 2;
            return cat([t.narrow(-1, half, half).neg(), t.narrow(-1, 0, half)], -1);
        }
    }

    /// <summary>The SwiGLU feed-forward network <c>down_proj(silu(gate_proj(x)) ⊙ up_proj(x))</c>.</summary>
    private sealed class Mlp : nn.Module
    {
#pragma warning disable IDE0044 // replaceable by name (adapters wrap the projections)
        private nn.Module<Tensor, Tensor> gate_proj;
        private nn.Module<Tensor, Tensor> up_proj;
        private nn.Module<Tensor, Tensor> down_proj;
#pragma warning restore IDE0044

        public Mlp(LlamaConfig config, Device device, ScalarType dtype) : base("mlp")
        {
            gate_proj = ZeroLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
            up_proj = ZeroLinear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
            down_proj = ZeroLinear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x) => down_proj.call(F.silu(gate_proj.call(x)) * up_proj.call(x));
    }

    /// <summary>
    /// Root-mean-square layer norm (Zhang and Sennrich, 2019): <c>w ⊙ x / √(mean(x²) + ε)</c>, with the statistics
    /// taken in float32 and the result cast back before the weight, as transformers does.
    /// </summary>
    private sealed class RmsNorm : nn.Module
    {
        public readonly Parameter weight;
        private readonly double _epsilon;

        public RmsNorm(long width, double epsilon, Device device, ScalarType dtype) : base("rms_norm")
        {
            weight = new Parameter(ones(width, dtype, device));
            _epsilon = epsilon;
            RegisterComponents();
        }

        public Tensor Forward(Tensor x)
        {
            Tensor wide = x.to_type(ScalarType.Float32);
            Tensor variance = wide.Square().mean([-1], keepdim: true);
            Tensor normalized = wide.mul(variance.Plus(_epsilon).rsqrt());
            return weight.mul(normalized.to_type(x.dtype));
        }
    }

    /// <summary>A lookup table of rows; our own so that construction draws nothing from the global generator.</summary>
    private sealed class Embedding : nn.Module
    {
        public readonly Parameter weight;

        public Embedding(long count, long width, Device device, ScalarType dtype) : base("embedding")
        {
            weight = new Parameter(zeros(count, width, dtype, device));
            RegisterComponents();
        }

        public Tensor Forward(Tensor ids)
        {
            long[] shape = [.. ids.shape, weight.shape[1]];
            return weight.index_select(0, ids.reshape(-1)).view(shape);
        }
    }
}
