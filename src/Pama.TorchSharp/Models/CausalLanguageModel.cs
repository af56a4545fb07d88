using Pama.TorchSharp.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A causal language model loaded from or saved to a Hugging Face checkpoint directory: an
/// <see cref="nn.Module{T, TResult}"/> from token ids to logits that also implements
/// <see cref="ICausalLanguageModel"/>, so it plugs into <c>TextGenerator.Generate</c> and
/// <c>PamaTrainer&lt;CausalLanguageModel&gt;</c>. <see cref="AutoModelForCausalLM.FromPretrained"/> returns one.
/// </summary>
/// <remarks>
/// Sub-modules and parameters carry Hugging Face's names (<c>model.layers.0.self_attn.q_proj.weight</c>,
/// <c>transformer.h.0.attn.c_attn.weight</c>), so <see cref="nn.Module.named_parameters(bool)"/> and
/// <see cref="nn.Module.named_modules"/> match checkpoint keys and can be searched by name suffix.
/// </remarks>
public abstract class CausalLanguageModel : nn.Module<Tensor, Tensor>, ICausalLanguageModel
{
    /// <summary>Creates the module with the given TorchSharp module name.</summary>
    /// <param name="name">Module name.</param>
    protected CausalLanguageModel(string name) : base(name)
    {
    }

    /// <summary>The Hugging Face <c>model_type</c> of the architecture: <c>gpt2</c>, <c>llama</c>, <c>mistral</c> or <c>qwen2</c>.</summary>
    public abstract string ModelType { get; }

    /// <inheritdoc />
    public abstract int VocabularySize { get; }

    /// <inheritdoc />
    public abstract int HiddenSize { get; }

    /// <inheritdoc />
    public abstract int ContextLength { get; }

    /// <summary>
    /// The layers a LoRA adapter wraps when <see cref="LoraOptions.TargetModules"/> names none: PEFT's default for the
    /// family (<c>TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING</c>), e.g. <c>c_attn</c> for GPT-2 and <c>q_proj</c>,
    /// <c>v_proj</c> for Llama, Mistral and Qwen2.
    /// </summary>
    public abstract IReadOnlyList<string> DefaultLoraTargetModules { get; }

    /// <summary>Number of transformer blocks (the number of layers a <see cref="KeyValueCache"/> needs).</summary>
    public abstract int LayerCount { get; }

    /// <inheritdoc />
    public virtual bool SupportsKeyValueCache => true;

    /// <inheritdoc />
    /// <remarks>Applies while gradients are recorded and no key/value cache is passed. Attention and residual dropout must be
    /// inactive (evaluation mode, as <c>PamaTrainer</c> keeps the policy, or a configuration without dropout): a recomputed
    /// block must draw nothing.</remarks>
    public bool ActivationCheckpointing { get; set; }

    /// <summary>Whether this forward pass checkpoints its blocks (see <see cref="ActivationCheckpointing"/>).</summary>
    /// <exception cref="InvalidOperationException">Checkpointing is on while dropout is active.</exception>
    private protected bool CheckpointsBlocks(KeyValueCache? cache, bool dropoutActive)
    {
        if (!ActivationCheckpointing || cache is not null || !is_grad_enabled()) return false;
        if (dropoutActive)
            throw new InvalidOperationException(
                $"{GetName()}: activation checkpointing recomputes each block in backward, which dropout would draw differently; " +
                "switch dropout off (eval mode, or a configuration without dropout) or ActivationCheckpointing off.");
        return true;
    }

    /// <summary>
    /// How attention is computed: <see cref="AttentionImplementation.Automatic"/> (the default) runs libtorch's fused
    /// <c>scaled_dot_product_attention</c> in every training type; <see cref="AttentionImplementation.Explicit"/> reproduces
    /// <c>transformers</c>' eager attention to the last bit, for exact float64 comparisons. While attention dropout is
    /// active in training mode the explicit path always runs, so dropout keeps drawing from the same generator.
    /// </summary>
    public AttentionImplementation AttentionImplementation { get; set; } = AttentionImplementation.Automatic;

    /// <summary>Whether the next forward pass takes the fused kernel, given <see cref="AttentionImplementation"/>, the model's type and
    /// whether the family's eager softmax runs in float32 (<paramref name="eagerSoftmaxInFloat32"/>).</summary>
    private protected bool UsesFusedAttention(bool eagerSoftmaxInFloat32, double attentionDropout) =>
        !(training && attentionDropout > 0) && AttentionImplementation switch
        {
            AttentionImplementation.Fused => true,
            AttentionImplementation.Explicit => false,
            _ => !(eagerSoftmaxInFloat32 && DType == ScalarType.Float64),
        };

    /// <summary>Device of the model's parameters.</summary>
    public Device Device => parameters().First().device;

    /// <summary>Element type of the model's floating-point parameters.</summary>
    public ScalarType DType => parameters().First().dtype;

    /// <inheritdoc />
    public virtual KeyValueCache CreateKeyValueCache() => new(LayerCount);

    /// <inheritdoc />
    public abstract CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0);

    /// <summary>Rows up to which <see cref="TiedOutputProjection"/> computes <c>(E hᵀ)ᵀ</c>: a decode step's few rows.</summary>
    private const long SkinnyRows = 32;

    /// <summary>
    /// Logits <c>h Eᵀ</c> of a tied output layer (the token embedding <paramref name="embedding"/> <c>[V, H]</c>). For a few rows
    /// (decoding) it is computed as <c>(E hᵀ)ᵀ</c>: libtorch's CPU GEMM splits <c>[rows, H] · [H, V]</c> with few rows poorly across
    /// threads, while <c>[V, H] · [H, rows]</c> splits over the vocabulary (GPT-2's 50,257 at 8 rows on 2 cores: 1.7× from the
    /// second thread against 1.2×, and faster on one; docs/performance.md). Otherwise <c>linear(h, E)</c>. Both are the same
    /// sums; they may round differently.
    /// </summary>
    private protected static Tensor TiedOutputProjection(Tensor hidden, Tensor embedding)
    {
        long width = hidden.shape[^1], rows = hidden.numel() / Math.Max(1, width);
        if (rows > SkinnyRows || rows == 0) return nn.functional.linear(hidden, embedding);
        using var scope = NewDisposeScope();
        long[] shape = [.. hidden.shape[..^1], embedding.shape[0]];
        return embedding.matmul(hidden.reshape(rows, width).t()).t().reshape(shape).MoveToOuterDisposeScope();
    }

    /// <summary>The hidden states the output layer reads for <c>logitsToKeep</c> (checked by <see cref="CheckForwardArguments"/>):
    /// all of them for 0, otherwise the last <c>logitsToKeep</c> positions, copied to a contiguous tensor: a strided view's
    /// product takes a kernel path that depends on the view's address, so two equal models could round differently (policy and
    /// reference then disagree by 1e-16, and a KL that should be 0 is not).</summary>
    private protected static Tensor KeptPositions(Tensor hidden, int logitsToKeep) =>
        logitsToKeep == 0 || logitsToKeep == hidden.shape[1] ? hidden : hidden.narrow(1, hidden.shape[1] - logitsToKeep, logitsToKeep).contiguous();

    /// <summary>Runs the model and returns only the logits <c>[B, T, V]</c> (no padding, no cache).</summary>
    /// <param name="inputIds">Token ids, int64 <c>[B, T]</c>.</param>
    public override Tensor forward(Tensor inputIds)
    {
        CausalLMOutput output = Forward(inputIds);
        output.LastHiddenState.Dispose();
        return output.Logits;
    }

    /// <summary>
    /// Creates an independent copy with the same configuration, weights, type, device and mode,
    /// e.g. a frozen reference policy next to the policy being trained.
    /// </summary>
    public abstract CausalLanguageModel Clone();

    /// <summary>
    /// Writes <c>config.json</c> and the weights in the Hugging Face layout, loadable by
    /// <see cref="AutoModelForCausalLM.FromPretrained"/> and by <c>transformers</c>: one <c>model.safetensors</c>,
    /// or, when the weights exceed <paramref name="maxShardBytes"/>, shards plus <c>model.safetensors.index.json</c>.
    /// Each file is written to a temporary file and renamed over the destination.
    /// </summary>
    /// <param name="directory">Destination directory; created if needed.</param>
    /// <param name="maxShardBytes">Largest shard size in bytes (a single larger tensor gets a shard of its own).</param>
    public abstract void SavePretrained(string directory, long maxShardBytes = CheckpointWriter.DefaultMaxShardBytes);

    /// <summary>
    /// Replaces the sub-module at a dotted Hugging Face path (e.g. <c>model.layers.0.self_attn.q_proj</c>) with
    /// <paramref name="replacement"/>, which the model then calls in its place (e.g. an adapter wrapping the original
    /// projection). Parameter names follow: the replacement's parameters appear under the same path.
    /// </summary>
    /// <param name="path">Path as in <see cref="nn.Module.named_modules"/>.</param>
    /// <param name="replacement">The new sub-module; it must fit the slot's declared type.</param>
    /// <returns>The sub-module that was replaced (now owned by the caller).</returns>
    /// <exception cref="ArgumentException">No replaceable sub-module has this path, or the replacement does not fit it.</exception>
    public nn.Module ReplaceModule(string path, nn.Module replacement)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(replacement);
        int dot = path.LastIndexOf('.');
        string parentPath = dot < 0 ? "" : path[..dot], name = path[(dot + 1)..];
        nn.Module parent = parentPath.Length == 0
            ? this
            : named_modules().FirstOrDefault(m => m.name == parentPath).module
              ?? throw new ArgumentException($"{GetName()} has no sub-module '{parentPath}'.", nameof(path));
        System.Reflection.FieldInfo field = parent.GetType().GetField(name,
                System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)
            ?? throw new ArgumentException($"'{path}' is not a replaceable sub-module of {GetName()}.", nameof(path));
        if (field.GetValue(parent) is not nn.Module current || !typeof(nn.Module).IsAssignableFrom(field.FieldType))
            throw new ArgumentException($"'{path}' is not a sub-module of {GetName()}.", nameof(path));
        if (!field.FieldType.IsInstanceOfType(replacement))
            throw new ArgumentException($"'{path}' holds a {field.FieldType.Name}; a {replacement.GetType().Name} does not fit.", nameof(replacement));
        parent.register_module(name, null!);
        parent.register_module(name, replacement);
        field.SetValue(parent, replacement);
        return current;
    }

    /// <summary>Copies every parameter of <paramref name="source"/> (same names and shapes) into this model.</summary>
    private protected void CopyParametersFrom(CausalLanguageModel source)
    {
        using (no_grad())
        {
            var values = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach ((string name, global::TorchSharp.Modules.Parameter parameter) in named_parameters())
                parameter.copy_(values[name]);
        }
    }

    /// <summary>
    /// The argument checks every family's <see cref="Forward"/> makes: ids int64 <c>[B, T]</c> with <c>T ≥ 1</c>, a cache of this
    /// model's depth, cached plus new positions within <see cref="ContextLength"/>, mask <c>[B, P + T]</c>, positions <c>[B, T]</c>,
    /// and ids and positions in range.
    /// </summary>
    /// <returns>The batch size, the new positions <c>T</c>, the cached positions <c>P</c>, <c>P + T</c>, and the largest position
    /// plus one when it is known without reading the device (<c>P + T</c> without position ids; the checked maximum otherwise),
    /// −1 when the check was skipped.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logitsToKeep"/> is negative or exceeds <c>T</c>.</exception>
    private protected (long Batch, long Count, long Past, long Total, long PositionLimit) CheckForwardArguments(
        Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KeyValueCache? cache, int logitsToKeep = 0)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2 || inputIds.dtype != ScalarType.Int64)
            throw new ArgumentException($"inputIds must be int64 [B, T], got {inputIds.dtype} [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        long batch = inputIds.shape[0], count = inputIds.shape[1];
        if (count == 0) throw new ArgumentException("inputIds must hold at least one position.", nameof(inputIds));
        if (logitsToKeep < 0 || logitsToKeep > count)
            throw new ArgumentOutOfRangeException(nameof(logitsToKeep), logitsToKeep,
                $"logitsToKeep must lie in [0, {count}] (0 keeps every one of the {count} new positions).");
        if (cache is not null && cache.LayerCount != LayerCount)
            throw new ArgumentException($"The cache has {cache.LayerCount} layers, the model {LayerCount}.", nameof(cache));
        long past = cache?.Length ?? 0;
        long total = past + count;
        if (total > ContextLength)
            throw new ArgumentException($"{past} cached plus {count} new positions exceed the context length {ContextLength}.", nameof(inputIds));
        if (attentionMask is not null && (attentionMask.dim() != 2 || attentionMask.shape[0] != batch || attentionMask.shape[1] != total))
            throw new ArgumentException($"attentionMask must be [{batch}, {total}] (cached plus new positions), got [{string.Join(", ", attentionMask.shape)}].", nameof(attentionMask));
        if (positionIds is not null && (positionIds.dim() != 2 || positionIds.shape[0] != batch || positionIds.shape[1] != count))
            throw new ArgumentException($"positionIds must be [{batch}, {count}], got [{string.Join(", ", positionIds.shape)}].", nameof(positionIds));
        // The range checks read values back to the host. On the CPU that costs nothing; on an accelerator it would
        // stall every decode step, so incremental steps there (a cache that already holds positions, fed the
        // sampler's own ids) skip it; an out-of-range id then fails inside the embedding lookup instead.
        bool incrementalOnAccelerator = past > 0 && inputIds.device.type != DeviceType.CPU;
        long positionLimit = positionIds is null ? total : -1;
        if (!incrementalOnAccelerator && inputIds.numel() > 0)
        {
            if (positionIds is not null && positionIds.is_floating_point())
                throw new ArgumentException($"{nameof(positionIds)} must hold integer ids, got {positionIds.dtype}.", nameof(positionIds));
            // One read for the ids' and the positions' extremes.
            using var scope = NewDisposeScope();
            Tensor[] extremes = positionIds is null
                ? [inputIds.min(), inputIds.max()]
                : [inputIds.min(), inputIds.max(), positionIds.min().to(ScalarType.Int64), positionIds.max().to(ScalarType.Int64)];
            long[] host = HostReads.Longs(stack(extremes));
            RequireInRange(host[0], host[1], VocabularySize, nameof(inputIds));
            if (positionIds is not null)
            {
                RequireInRange(host[2], host[3], ContextLength, nameof(positionIds));
                positionLimit = host[3] + 1;
            }
        }
        return (batch, count, past, total, positionLimit);
    }

    private static void RequireInRange(long min, long max, long limit, string name)
    {
        if (min < 0 || max >= limit)
            throw new ArgumentException($"{name} must lie in [0, {limit}), got values in [{min}, {max}].", name);
    }
}
