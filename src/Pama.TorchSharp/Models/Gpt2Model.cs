using Pama.TorchSharp.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// GPT-2 (Radford et al., 2019, "Language Models are Unsupervised Multitask Learners"): a decoder-only
/// transformer with learned positions, pre-norm blocks, GELU MLPs and an output layer tied to the
/// token embedding. Parameter names are Hugging Face's <c>GPT2LMHeadModel</c> names, so
/// <see cref="nn.Module.state_dict(Dictionary{string, Tensor}?, string?)"/> keys match its checkpoints.
/// </summary>
/// <remarks>
/// <para>For token ids <c>x</c> and positions <c>p</c> the model computes
/// <c>h₀ = wte[x] + wpe[p]</c>; for each block <c>h ← h + attn(ln₁(h))</c>, <c>h ← h + mlp(ln₂(h))</c>;
/// then <c>z = ln_f(h)</c> and logits <c>z · wteᵀ</c>. Attention is causal softmax attention,
/// <c>softmax(q kᵀ / √d + mask) v</c>, per head; the MLP is <c>c_proj(gelu(c_fc(h)))</c>.</para>
/// <para>Dropout, when the configuration enables it, applies only in training mode and draws from
/// TorchSharp's default generator; use <see cref="Gpt2Config.WithoutDropout"/> for reproducible fine-tuning.</para>
/// <para>Parameters are created on the CPU in float32; move or convert the model with <c>model.to(device)</c>
/// and <c>model.to(ScalarType.Float64)</c>.</para>
/// </remarks>
public sealed class Gpt2Model : CausalLanguageModel
{
    /// <summary>File name of the configuration in a checkpoint directory.</summary>
    public const string ConfigFileName = "config.json";

    /// <summary>File name of the weights in a checkpoint directory.</summary>
    public const string WeightsFileName = "model.safetensors";

    private const string TransformerPrefix = "transformer.";

    // Field names are the Hugging Face parameter names: TorchSharp registers fields under their own
    // names, which makes the state_dict keys "transformer.h.0.attn.c_attn.weight" and so on.
    private readonly Transformer transformer;

    /// <summary>Builds a model with GPT-2's initialisation drawn from <paramref name="generator"/>.</summary>
    /// <param name="config">Hyper-parameters; validated.</param>
    /// <param name="generator">CPU generator the initial weights are drawn from (the same generator state gives the same weights).</param>
    /// <exception cref="ArgumentException">The configuration is invalid, or the generator is not a CPU generator.</exception>
    public Gpt2Model(Gpt2Config config, Generator generator) : this(config)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (generator.device.type != DeviceType.CPU)
            throw new ArgumentException($"Parameters are initialised on the CPU; pass a CPU generator, not one on {generator.device}.", nameof(generator));
        transformer.Initialize(generator, config);
    }

    /// <summary>Builds a model with GPT-2's initialisation drawn from a generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="config">Hyper-parameters; validated.</param>
    /// <param name="seed">Seed of the initialisation; the same seed gives the same weights.</param>
    public Gpt2Model(Gpt2Config config, long seed) : this(config)
    {
        using var generator = new Generator(unchecked((ulong)seed));
        transformer.Initialize(generator, config);
    }

    /// <summary>Builds the modules with zero weights; the public constructors and the loader fill them.</summary>
    private Gpt2Model(Gpt2Config config) : base(CheckedModuleName(config))
    {
        Config = config;
        transformer = new Transformer(config);
        RegisterComponents();
    }

    /// <summary>The hyper-parameters the model was built with.</summary>
    public Gpt2Config Config { get; }

    /// <inheritdoc />
    public override string ModelType => "gpt2";

    /// <inheritdoc />
    public override int VocabularySize => Config.VocabularySize;

    /// <inheritdoc />
    public override int HiddenSize => Config.HiddenSize;

    /// <inheritdoc />
    public override int ContextLength => Config.ContextLength;

    /// <inheritdoc />
    public override int LayerCount => Config.LayerCount;

    /// <inheritdoc />
    public override IReadOnlyList<string> DefaultLoraTargetModules { get; } = ["c_attn"];

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A tensor has the wrong shape or type, a token id is outside the
    /// vocabulary, or the sequence would exceed <see cref="ContextLength"/>.</exception>
    public override CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0)
    {
        var arguments = CheckForwardArguments(inputIds, attentionMask, positionIds, cache, logitsToKeep);
        using var scope = NewDisposeScope();
        Tensor hidden = HiddenStates(inputIds, attentionMask, positionIds, cache, arguments.Batch, arguments.Count, arguments.Past, arguments.Total);
        // The output layer is tied to the token embedding (GPT-2 has no separate lm_head weight); it runs only on the kept positions.
        Tensor logits = TiedOutputProjection(KeptPositions(hidden, logitsToKeep), transformer.wte.weight);
        return new CausalLMOutput(logits.MoveToOuterDisposeScope(), hidden.MoveToOuterDisposeScope());
    }

    /// <summary>The last hidden states <c>[B, T, H]</c> alone, as <see cref="Forward"/> computes them, with no output layer
    /// (no vocabulary logits): what <see cref="Gpt2ForSequenceClassification"/> reads.</summary>
    internal Tensor ForwardHiddenStates(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null)
    {
        var arguments = CheckForwardArguments(inputIds, attentionMask, positionIds, cache);
        using var scope = NewDisposeScope();
        return HiddenStates(inputIds, attentionMask, positionIds, cache, arguments.Batch, arguments.Count, arguments.Past, arguments.Total)
            .MoveToOuterDisposeScope();
    }

    /// <summary>The final hidden states after <c>ln_f</c>, in the caller's dispose scope; the arguments are checked.</summary>
    private Tensor HiddenStates(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, long batch, long count, long past, long total)
    {
        Device device = Device;
        Tensor ids = inputIds.to(device);
        Tensor positions = positionIds?.to(ScalarType.Int64, device)
                           ?? KeptScalars.Arange(past, total, ScalarType.Int64, device).unsqueeze(0).expand(batch, count);

        // allowed[b, 0, t, s]: new position t (absolute past + t) may attend to key s when s <= past + t
        // and key s is a real token. Broadcast over heads.
        Tensor allowed = ones(count, total, ScalarType.Bool, device).tril(past).view(1, 1, count, total);
        if (attentionMask is not null)
            allowed = allowed.logical_and(attentionMask.to(device).Ne(0).view(batch, 1, 1, total));

        // The fused kernel takes the mask as an additive bias: 0 where allowed, the most negative finite value elsewhere.
        bool checkpoint = CheckpointsBlocks(cache, training && (Config.AttentionDropout > 0 || Config.ResidualDropout > 0));
        return transformer.Forward(ids, positions, AttentionMask.Create(allowed, UsesFusedAttention(eagerSoftmaxInFloat32: false, Config.AttentionDropout), DType), cache, training, checkpoint);
    }

    /// <summary>
    /// Creates an independent copy with the same configuration, weights, type, device and mode,
    /// e.g. a frozen reference policy next to the policy being trained.
    /// </summary>
    public override Gpt2Model Clone()
    {
        var copy = new Gpt2Model(Config);
        try
        {
            copy.to(DType);
            copy.to(Device);
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
    /// Loads a Hugging Face GPT-2 checkpoint directory holding <c>config.json</c> and <c>model.safetensors</c>
    /// or shards listed in <c>model.safetensors.index.json</c>.
    /// </summary>
    /// <param name="directory">Checkpoint directory, e.g. a local copy of <c>openai-community/gpt2</c>, or that repository id
    /// when the Hugging Face cache holds it (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <param name="device">Device to place the model on; <c>null</c> means CPU.</param>
    /// <param name="dtype">Parameter type (weights are converted from the stored type); <c>null</c> means float32.</param>
    /// <returns>The model, in evaluation mode.</returns>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file (config, weights, a shard) is missing.</exception>
    /// <exception cref="InvalidDataException">The config or weights are malformed, or a tensor is missing, unexpected or has the
    /// wrong shape; the message names the file and the tensor.</exception>
    public static Gpt2Model FromPretrained(string directory, Device? device = null, ScalarType? dtype = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = HuggingFaceCache.Resolve(directory);
        TorchRuntime.RequireUsable(device);
        using CheckpointReader reader = CheckpointReader.Open(directory);
        string configPath = Path.Combine(directory, ConfigFileName);
        Gpt2Config config = Gpt2Config.FromJson(configPath);
        reader.RequireRoomFor(config.ParameterCount, configPath);
        var model = new Gpt2Model(config);
        try
        {
            if (dtype is { } type && type != ScalarType.Float32) model.to(type);
            if (device is not null) model.to(device);
            // The model is new and is disposed on failure, so the weights may stream straight into it.
            model.LoadWeights(reader, allOrNothing: false);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies weights from a safetensors file with Hugging Face GPT-2 names into this model, converting
    /// them to the model's type and device. Keys may carry the <c>transformer.</c> prefix or not; a tied
    /// <c>lm_head.weight</c> and the attention-mask buffers of old checkpoints are accepted and ignored.
    /// Every tensor is read and checked before the first parameter changes: if this throws, the model is as it was.
    /// </summary>
    /// <param name="path">The safetensors file.</param>
    /// <exception cref="InvalidDataException">The file is malformed, a parameter is missing or has the wrong shape, the file
    /// holds an unknown tensor or non-finite values, or its <c>lm_head.weight</c> differs from the token embedding; the
    /// message names the file and tensor.</exception>
    public void LoadWeights(string path)
    {
        using CheckpointReader reader = CheckpointReader.OpenFile(path);
        LoadWeights(reader, allOrNothing: true);
    }

    private void LoadWeights(CheckpointReader reader, bool allOrNothing)
    {
        // The tie is checked between the file's own tensors, before the model changes.
        string? embeddingKey = new[] { TransformerPrefix + "wte.weight", "wte.weight" }.FirstOrDefault(reader.Contains);
        foreach (string key in reader.TensorNames.Where(k => StripPrefix(k) == "lm_head.weight"))
        {
            using var scope = NewDisposeScope();
            Tensor head = reader.Read(key, DType);
            Tensor? embedding = embeddingKey is null ? null : reader.Read(embeddingKey, DType);
            if (embedding is not null && (!head.shape.SequenceEqual(embedding.shape) || !head.allclose(embedding, rtol: 0, atol: 0)))
                throw new InvalidDataException($"{reader.PathOf(key)}: '{key}' differs from the token embedding; untied output layers are not supported.");
        }
        reader.LoadInto(this,
            name => reader.Contains(name) ? name : reader.Contains(StripPrefix(name)) ? StripPrefix(name) : null,
            key => StripPrefix(key) is "lm_head.weight" || key.EndsWith(".attn.bias", StringComparison.Ordinal)
                   || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal),
            allOrNothing);
    }

    /// <summary>
    /// Writes <c>config.json</c> and the weights (Hugging Face names with the <c>transformer.</c> prefix, tied
    /// <c>lm_head.weight</c> omitted) so that this class and Hugging Face <c>transformers</c> can load them:
    /// <c>model.safetensors</c>, or shards with <c>model.safetensors.index.json</c> above <paramref name="maxShardBytes"/>.
    /// Each file is written to a temporary file first and then renamed over the destination.
    /// </summary>
    /// <param name="directory">Destination directory; created if needed.</param>
    /// <param name="maxShardBytes">Largest shard size in bytes.</param>
    public override void SavePretrained(string directory, long maxShardBytes = CheckpointWriter.DefaultMaxShardBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        byte[] config = System.Text.Encoding.UTF8.GetBytes(Config.ToJson());
        AtomicFile.Write(Path.Combine(directory, ConfigFileName), stream => stream.Write(config));
        var tensors = named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)).ToList();
        CheckpointWriter.Save(directory, tensors, maxShardBytes);
    }

    /// <summary>Validates the configuration and the native runtime before the base constructor touches libtorch,
    /// so a missing runtime surfaces as <see cref="TorchRuntime"/>'s explanation rather than a bare loader error.</summary>
    private static string CheckedModuleName(Gpt2Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TorchRuntime.EnsureAvailable();
        return nameof(Gpt2Model);
    }

    private static string StripPrefix(string name) =>
        name.StartsWith(TransformerPrefix, StringComparison.Ordinal) ? name[TransformerPrefix.Length..] : name;

    /// <summary>The <c>transformer</c> sub-module: embeddings, blocks and the final layer norm.</summary>
    private sealed class Transformer : nn.Module
    {
        public readonly Embedding wte;
        public readonly Embedding wpe;
        public readonly ModuleList<Block> h;
        public readonly LayerNorm ln_f;
        private readonly double _embeddingDropout;

        public Transformer(Gpt2Config config) : base("transformer")
        {
            wte = new Embedding(config.VocabularySize, config.HiddenSize);
            wpe = new Embedding(config.ContextLength, config.HiddenSize);
            h = new ModuleList<Block>(Enumerable.Range(0, config.LayerCount).Select(i => new Block(config, i)).ToArray());
            ln_f = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
            _embeddingDropout = config.EmbeddingDropout;
            RegisterComponents();
        }

        /// <summary>GPT-2's initialisation: weights ~ N(0, σ²), residual projections ~ N(0, σ² / (2L)),
        /// biases 0, layer norms identity. Drawn in a fixed order so a generator state fixes the weights.</summary>
        public void Initialize(Generator generator, Gpt2Config config)
        {
            double std = config.InitializerRange;
            double projectionStd = std / Math.Sqrt(2.0 * config.LayerCount);
            using (no_grad())
            {
                wte.weight.normal_(0, std, generator);
                wpe.weight.normal_(0, std, generator);
                foreach (Block block in h) block.Initialize(generator, std, projectionStd);
            }
        }

        public Tensor Forward(Tensor ids, Tensor positions, AttentionMask mask, KeyValueCache? cache, bool training, bool checkpoint)
        {
            Tensor x = wte.Forward(ids).Plus(wpe.Forward(positions));
            x = F.dropout(x, _embeddingDropout, training);
            // Without gradients each block's intermediates are freed as it returns (BlockScopes); checkpointing needs gradients.
            x = BlockScopes.Chain(x, h, (block, input) => checkpoint
                ? ActivationCheckpoint.Run(t => block.Forward(t[0], new AttentionMask(t[1], t.Length > 2 ? t[2] : null), null, training),
                    mask.Bias is { } bias ? [input, mask.Allowed, bias] : [input, mask.Allowed], block)
                : block.Forward(input, mask, cache, training));
            return ln_f.forward(x);
        }
    }

    /// <summary>One pre-norm transformer block: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>.</summary>
    private sealed class Block : nn.Module
    {
        public readonly LayerNorm ln_1;
        public readonly Attention attn;
        public readonly LayerNorm ln_2;
        public readonly Mlp mlp;
        private readonly double _residualDropout;

        public Block(Gpt2Config config, int layer) : base($"block{layer}")
        {
            ln_1 = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
            attn = new Attention(config, layer);
            ln_2 = nn.LayerNorm(config.HiddenSize, config.LayerNormEpsilon);
            mlp = new Mlp(config);
            _residualDropout = config.ResidualDropout;
            RegisterComponents();
        }

        public void Initialize(Generator generator, double std, double projectionStd)
        {
            attn.c_attn.Initialize(generator, std);
            attn.c_proj.Initialize(generator, projectionStd);
            mlp.c_fc.Initialize(generator, std);
            mlp.c_proj.Initialize(generator, projectionStd);
        }

        public Tensor Forward(Tensor x, AttentionMask mask, KeyValueCache? cache, bool training)
        {
            x = x.Plus(F.dropout(attn.Forward(ln_1.forward(x), mask, cache, training), _residualDropout, training));
            return x.Plus(F.dropout(mlp.Forward(ln_2.forward(x)), _residualDropout, training));
        }
    }

    /// <summary>Multi-head causal self-attention with fused query/key/value projection.</summary>
    private sealed class Attention : nn.Module
    {
        public readonly Conv1D c_attn;
        public readonly Conv1D c_proj;
        private readonly int _layer;
        private readonly int _heads;
        private readonly int _headSize;
        private readonly double _attentionDropout;

        public Attention(Gpt2Config config, int layer) : base("attn")
        {
            c_attn = new Conv1D(config.HiddenSize, 3 * config.HiddenSize);
            c_proj = new Conv1D(config.HiddenSize, config.HiddenSize);
            _layer = layer;
            _heads = config.HeadCount;
            _headSize = config.HeadSize;
            _attentionDropout = config.AttentionDropout;
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, AttentionMask mask, KeyValueCache? cache, bool training)
        {
            long batch = x.shape[0], count = x.shape[1], width = x.shape[2];
            Tensor[] qkv = c_attn.Forward(x).split(width, 2);
            Tensor query = SplitHeads(qkv[0]), key = SplitHeads(qkv[1]), value = SplitHeads(qkv[2]);
            if (cache is not null) (key, value) = cache.Append(_layer, key, value);

            Tensor attended;
            if (mask.Bias is { } bias)
            {
                attended = F.scaled_dot_product_attention(query, key, value, bias);
            }
            else
            {
                Tensor scores = query.matmul(key.transpose(-2, -1)).DividedBy(Math.Sqrt(_headSize));
                // The most negative finite value rather than -inf: a row with no allowed key (a padding
                // query) then gets uniform weights instead of NaN, and its output is never used.
                scores = scores.MaskedFill(mask.Allowed.logical_not(), finfo(scores.dtype).min);
                Tensor weights = F.dropout(F.softmax(scores, -1), _attentionDropout, training);
                attended = weights.matmul(value);
            }
            Tensor merged = attended.transpose(1, 2).reshape(batch, count, width);
            return c_proj.Forward(merged);

            Tensor SplitHeads(Tensor t) => t.view(batch, count, _heads, _headSize).transpose(1, 2);
        }
    }

    /// <summary>The position-wise feed-forward network <c>c_proj(gelu(c_fc(x)))</c>.</summary>
    private sealed class Mlp : nn.Module
    {
        public readonly Conv1D c_fc;
        public readonly Conv1D c_proj;
        private readonly bool _tanhApproximation;

        public Mlp(Gpt2Config config) : base("mlp")
        {
            c_fc = new Conv1D(config.HiddenSize, config.MlpSize);
            c_proj = new Conv1D(config.MlpSize, config.HiddenSize);
            // gelu_new and gelu_pytorch_tanh are both 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))).
            _tanhApproximation = config.Activation != "gelu";
            RegisterComponents();
        }

        public Tensor Forward(Tensor x) =>
            c_proj.Forward(F.gelu(c_fc.Forward(x), _tanhApproximation ? GELU.Approximate.tanh : GELU.Approximate.none));
    }

    /// <summary>
    /// The affine map of Hugging Face's GPT-2 "Conv1D": <c>y = x W + b</c> with <c>W</c> stored as
    /// <c>[in, out]</c> (the transpose of <see cref="nn.Linear(long, long, bool, Device?, ScalarType?)"/>'s layout).
    /// </summary>
    private sealed class Conv1D : nn.Module, ILoraTargetLayer
    {
        public readonly Parameter weight;
        public readonly Parameter bias;

        public Conv1D(long inputs, long outputs) : base("conv1d")
        {
            weight = new Parameter(zeros(inputs, outputs));
            bias = new Parameter(zeros(outputs));
            RegisterComponents();
        }

        Parameter ILoraTargetLayer.Weight => weight;

        bool ILoraTargetLayer.WeightIsInputByOutput => true;

        public LoraLayer? Lora { get; set; }

        public void Initialize(Generator generator, double std) => weight.normal_(0, std, generator);

        public Tensor Forward(Tensor x)
        {
            long outputs = weight.shape[1];
            long[] shape = x.shape;
            shape[^1] = outputs;
            Tensor y = addmm(bias, x.reshape(-1, x.shape[^1]), weight, beta: 1, alpha: 1).view(shape);
            return Lora is null ? y : Lora.AddTo(x, y);
        }
    }

    /// <summary>A lookup table of rows; our own so that construction draws nothing from the global generator.</summary>
    private sealed class Embedding : nn.Module
    {
        public readonly Parameter weight;

        public Embedding(long count, long width) : base("embedding")
        {
            weight = new Parameter(zeros(count, width));
            RegisterComponents();
        }

        public Tensor Forward(Tensor ids)
        {
            long[] shape = [.. ids.shape, weight.shape[1]];
            return weight.index_select(0, ids.reshape(-1)).view(shape);
        }
    }
}
