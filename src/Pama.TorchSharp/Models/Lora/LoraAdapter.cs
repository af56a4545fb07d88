using Pama.TorchSharp.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A LoRA adapter (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language Models") living inside a causal
/// language model, compatible with PEFT: the same choice of layers, initialisation, scaling, parameter names and files.
/// </summary>
/// <remarks>
/// <para>Each wrapped layer computes <c>y = W x + b + s · B A dropout(x)</c>, <c>A</c> <c>[r, in]</c>, <c>B</c> <c>[out, r]</c>,
/// <c>s = α / r</c> (or <c>α / √r</c> with rsLoRA). <c>A</c> and <c>B</c> are registered on the wrapped layer as
/// <c>lora_A.weight</c> and <c>lora_B.weight</c>, so <c>model.named_parameters()</c> lists them under PEFT's saved names
/// (e.g. <c>model.layers.0.self_attn.q_proj.lora_A.weight</c>) and <c>model.to(device)</c> moves them; every base
/// parameter is frozen (<c>requires_grad = false</c>), so the adapter is all a trainer sees as trainable.</para>
/// <para>Precision: the adapter's matrices are float32 when the wrapped weights are float16 or bfloat16 (as PEFT's
/// <c>autocast_adapter_dtype</c>), otherwise the weights' own type. A wrapped layer casts its input to the adapter's
/// type, computes the branch there, and returns the sum in the base layer's type.</para>
/// <para>Apply or load the adapter after moving the model to its device and type: converting the model afterwards
/// converts the adapter too.</para>
/// </remarks>
public sealed class LoraAdapter : IDisposable
{
    /// <summary>File name of the adapter's weights in a PEFT adapter directory.</summary>
    public const string WeightsFileName = "adapter_model.safetensors";

    /// <summary>File name of the adapter's configuration in a PEFT adapter directory.</summary>
    public const string ConfigFileName = PeftLoraConfig.FileName;

    // PEFT saves a PeftModelForCausalLM's state: "base_model.model." + the base model's parameter name.
    private const string KeyPrefix = "base_model.model.";

    private readonly CausalLanguageModel _model;
    private readonly PeftLoraConfig _config;
    private readonly IReadOnlyList<LoraLayer> _layers;
    private readonly IReadOnlyDictionary<string, bool> _baseRequiresGrad;
    private readonly Generator _dropoutGenerator;
    private int _disableDepth;

    private LoraAdapter(CausalLanguageModel model, PeftLoraConfig config, IReadOnlyList<LoraLayer> layers,
        IReadOnlyDictionary<string, bool> baseRequiresGrad, Generator dropoutGenerator)
    {
        _model = model;
        _config = config;
        _layers = layers;
        _baseRequiresGrad = baseRequiresGrad;
        _dropoutGenerator = dropoutGenerator;
    }

    /// <summary>The model the adapter lives in.</summary>
    public CausalLanguageModel Model => _model;

    /// <summary>Names of the wrapped layers, in the model's order.</summary>
    public IReadOnlyList<string> ModuleNames => [.. _layers.Select(l => l.ModuleName)];

    /// <summary>The adapter's trainable parameters (<c>lora_A</c> and <c>lora_B</c> of every wrapped layer); empty after <see cref="Merge"/>.</summary>
    public IReadOnlyList<Parameter> Parameters => IsMerged ? [] : [.. _layers.SelectMany(l => new[] { l.A.weight, l.B.weight })];

    /// <summary>Number of trainable adapter parameters.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>Whether <see cref="Merge"/> has folded the adapter into the base weights.</summary>
    public bool IsMerged { get; private set; }

    /// <summary>Whether the adapter currently changes the model's output (not merged and not inside <see cref="Disable"/>).</summary>
    public bool IsActive => !IsMerged && _disableDepth == 0;

    /// <summary>
    /// Wraps the layers named by <see cref="LoraOptions.TargetModules"/> (none named: the family's PEFT default,
    /// <see cref="CausalLanguageModel.DefaultLoraTargetModules"/>) with a fresh adapter and freezes every base parameter.
    /// As PEFT, <c>A</c> is drawn Kaiming-uniform with <c>a = √5</c> (uniform on <c>±1/√in</c>) and <c>B</c> is zero, so the
    /// model's function is unchanged until the adapter is trained.
    /// </summary>
    /// <param name="model">The model to adapt; must not already carry an adapter.</param>
    /// <param name="options">Rank, α, dropout, target modules; validated.</param>
    /// <param name="generator">CPU generator the initial <c>A</c> matrices (in the model's layer order) and the dropout seed are drawn from;
    /// <c>null</c> means a generator seeded with <see cref="LoraOptions.Seed"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid, a target name matches no linear layer, or matches a module
    /// LoRA cannot wrap (the message names it). Nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The model already carries an adapter.</exception>
    public static LoraAdapter Apply(CausalLanguageModel model, LoraOptions options, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.TargetModules.Count == 0) options = options with { TargetModules = model.DefaultLoraTargetModules };
        if (generator is null)
        {
            using var seeded = new Generator(unchecked((ulong)options.Seed));
            return Apply(model, options, seeded);
        }
        if (generator.device.type != DeviceType.CPU)
            throw new ArgumentException($"The adapter is initialised from a CPU generator, not one on {generator.device}.", nameof(generator));
        PeftLoraConfig config = PeftLoraConfig.FromOptions(options);
        List<(string Name, LoraTarget Layer)> targets;
        try { targets = FindTargets(model, config, "options"); }
        catch (InvalidDataException e) { throw new ArgumentException(e.Message, nameof(options), e); }
        foreach (string target in options.TargetModules)
            if (!targets.Any(t => t.Name == target || t.Name.EndsWith("." + target, StringComparison.Ordinal)))
                throw new ArgumentException(
                    $"Target module '{target}' matches no linear layer of {model.GetType().Name}; its linear layers are {DescribeLayers(model)}.", nameof(options));

        var layers = new List<LoraLayer>();
        var dropoutGenerator = new Generator(unchecked((ulong)HostReads.Long(randint(long.MaxValue, [1], generator: generator))));
        try
        {
            foreach (var (name, layer) in targets)
            {
                var (rank, alpha, scale) = config.For(name);
                var (inputs, outputs) = (layer.Inputs, layer.Outputs);
                ScalarType type = AdapterType(layer.Weight.dtype);
                Device device = layer.Weight.device;
                // kaiming_uniform_(a = √5): gain √(2 / (1 + a²)) = √(1/3), bound gain·√(3 / fan_in) = 1/√in.
                double bound = 1.0 / Math.Sqrt(inputs);
                using Tensor drawn = empty(rank, inputs, ScalarType.Float32).uniform_(-bound, bound, generator);
                layers.Add(new LoraLayer(name, layer, rank, alpha, scale, options.Dropout,
                    drawn.to(type, device), zeros(outputs, rank, type, device), dropoutGenerator));
            }
            return Attach(model, config, layers, dropoutGenerator);
        }
        catch
        {
            foreach (LoraLayer layer in layers) layer.Dispose();
            dropoutGenerator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads an adapter saved by PEFT's <c>save_pretrained</c> (or <see cref="Save"/>): <c>adapter_config.json</c> and
    /// <c>adapter_model.safetensors</c>, with keys such as <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>.
    /// The layers are chosen from the configuration as PEFT chooses them (<c>target_modules</c>, <c>exclude_modules</c>,
    /// <c>rank_pattern</c>, <c>alpha_pattern</c>, <c>use_rslora</c>); every base parameter is frozen.
    /// </summary>
    /// <param name="model">The base model the adapter was trained on; must not already carry an adapter.</param>
    /// <param name="directory">The adapter directory, or a repository id the Hugging Face cache holds (<see cref="HuggingFaceCache.Resolve"/>).</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">The configuration is malformed or unsupported, no layer matches it, a targeted module is
    /// not a linear layer, a tensor is missing, extra, non-finite or of the wrong shape or rank; the message names the file and the
    /// module. Nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">The model already carries an adapter.</exception>
    public static LoraAdapter Load(CausalLanguageModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = HuggingFaceCache.Resolve(directory, "Adapter");
        string configPath = Path.Combine(directory, ConfigFileName), weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(configPath)) throw new FileNotFoundException($"Adapter directory '{directory}' has no {ConfigFileName}.", configPath);
        if (!File.Exists(weightsPath))
        {
            string hint = File.Exists(Path.Combine(directory, "adapter_model.bin")) ? " Only safetensors weights are read; save the adapter with safe_serialization=True." : "";
            throw new FileNotFoundException($"Adapter directory '{directory}' has no {WeightsFileName}.{hint}", weightsPath);
        }

        PeftLoraConfig config = PeftLoraConfig.Read(configPath);
        List<(string Name, LoraTarget Layer)> targets = FindTargets(model, config, configPath);
        if (targets.Count == 0)
            throw new InvalidDataException($"{configPath}: target_modules {Describe(config)} match no layer of {model.GetType().Name}; its linear layers are {DescribeLayers(model)}.");

        using SafeTensorsFile file = SafeTensorsFile.Open(weightsPath);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var layers = new List<LoraLayer>();
        var dropoutGenerator = new Generator(0);
        try
        {
            foreach (var (name, layer) in targets)
            {
                var (rank, alpha, scale) = config.For(name);
                var (inputs, outputs) = (layer.Inputs, layer.Outputs);
                ScalarType type = AdapterType(layer.Weight.dtype);
                Device device = layer.Weight.device;
                Tensor a = Read(file, configPath, name, "lora_A", [rank, inputs], type, device, used);
                Tensor b;
                try { b = Read(file, configPath, name, "lora_B", [outputs, rank], type, device, used); }
                catch { a.Dispose(); throw; }
                layers.Add(new LoraLayer(name, layer, rank, alpha, scale, config.Dropout, a, b, dropoutGenerator));
            }
            string? extra = file.Entries.Keys.FirstOrDefault(k => !used.Contains(k));
            if (extra is not null)
                throw new InvalidDataException($"{weightsPath}: tensor '{extra}' belongs to no layer {configPath} targets in {model.GetType().Name}" +
                                               $" (targeted: {string.Join(", ", targets.Select(t => t.Name).Take(4))}{(targets.Count > 4 ? ", ..." : "")}).");
            return Attach(model, config, layers, dropoutGenerator);
        }
        catch
        {
            foreach (LoraLayer layer in layers) layer.Dispose();
            dropoutGenerator.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes <c>adapter_config.json</c> and <c>adapter_model.safetensors</c> in PEFT's format (loadable with
    /// <c>PeftModel.from_pretrained</c> and <see cref="Load"/>), each file atomically. Tensors keep the adapter's type.
    /// </summary>
    /// <param name="directory">Destination directory; created if needed.</param>
    /// <exception cref="InvalidOperationException">The adapter was merged.</exception>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        RequireNotMerged();
        Directory.CreateDirectory(directory);
        bool fanInFanOut = _layers.Any(l => l.Target.WeightIsInputByOutput);
        var tensors = _layers.SelectMany(l => new[]
        {
            new KeyValuePair<string, Tensor>(Key(l.ModuleName, "lora_A"), l.A.weight.detach()),
            new KeyValuePair<string, Tensor>(Key(l.ModuleName, "lora_B"), l.B.weight.detach()),
        });
        SafeTensors.Save(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        byte[] json = System.Text.Encoding.UTF8.GetBytes(_config.ToJson(fanInFanOut));
        AtomicFile.Write(Path.Combine(directory, ConfigFileName), stream => stream.Write(json));
    }

    /// <summary>
    /// Returns a scope during which the model computes its base function, as PEFT's <c>disable_adapter()</c>: the
    /// reference policy of RLHF without a second copy of the model. Scopes nest; disposing one twice is harmless.
    /// </summary>
    /// <exception cref="InvalidOperationException">The adapter was merged.</exception>
    public IDisposable Disable()
    {
        RequireNotMerged();
        if (_disableDepth++ == 0)
            foreach (LoraLayer layer in _layers) layer.Enabled = false;
        return new DisableScope(this);
    }

    /// <summary>
    /// Folds the adapter into the base weights (<c>W ← W + s · B A</c>, in the adapter's type, then rounded once to the weight's
    /// type), removes <c>lora_A</c> / <c>lora_B</c> from the model and restores the base parameters' <c>requires_grad</c>, as PEFT's
    /// <c>merge_and_unload()</c>. The model is then an ordinary model computing what the adapted model computed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The adapter was already merged, or <see cref="Disable"/> is in effect.</exception>
    public void Merge()
    {
        RequireNotMerged();
        if (_disableDepth > 0) throw new InvalidOperationException("The adapter cannot be merged while it is disabled.");
        using (no_grad())
        {
            foreach (LoraLayer layer in _layers)
            {
                using var scope = NewDisposeScope();
                Tensor delta = layer.DeltaWeight();
                Parameter weight = layer.Target.Weight;
                weight.copy_(weight.to(delta.dtype).Plus(delta));
            }
        }
        Detach();
        IsMerged = true;
    }

    /// <summary>Releases the adapter's dropout generator. The adapter's parameters belong to the model and stay in it.</summary>
    public void Dispose() => _dropoutGenerator.Dispose();

    /// <summary>The adapter's parameters as one module, for trainer checkpoints: the adapter without the frozen base.</summary>
    internal nn.Module ParameterModule()
    {
        RequireNotMerged();
        return new AdapterParameters(_layers);
    }

    private static LoraAdapter Attach(CausalLanguageModel model, PeftLoraConfig config, List<LoraLayer> layers, Generator dropoutGenerator)
    {
        var requiresGrad = new Dictionary<string, bool>(StringComparer.Ordinal);
        var parameters = model.named_parameters().ToList();
        foreach (var (name, parameter) in parameters) requiresGrad[name] = parameter.requires_grad;
        var attached = new List<LoraLayer>();
        try
        {
            foreach (var (_, parameter) in parameters) parameter.requires_grad = false;
            foreach (LoraLayer layer in layers)
            {
                attached.Add(layer);
                layer.Target.Attach(layer);
            }
        }
        catch
        {
            // Never leave a half-adapted model: unhook what was attached and restore the flags, then let the caller dispose.
            foreach (LoraLayer layer in attached) layer.Target.Detach();
            foreach (var (name, parameter) in parameters) parameter.requires_grad = requiresGrad[name];
            throw;
        }
        return new LoraAdapter(model, config, layers, requiresGrad, dropoutGenerator);
    }

    private void Detach()
    {
        foreach (LoraLayer layer in _layers)
        {
            layer.Target.Detach();
            layer.Dispose();
        }
        foreach (var (name, parameter) in _model.named_parameters())
            if (_baseRequiresGrad.TryGetValue(name, out bool flag)) parameter.requires_grad = flag;
    }

    private static List<(string Name, LoraTarget Layer)> FindTargets(nn.Module model, PeftLoraConfig config, string source)
    {
        var targets = new List<(string, LoraTarget)>();
        foreach (var (name, module) in model.named_modules())
        {
            if (LoraTarget.IsAdapted(module))
                throw new InvalidOperationException($"{model.GetType().Name} already carries a LoRA adapter (on '{name}'); merge it first.");
            if (string.IsNullOrEmpty(name) || !config.Targets(name)) continue;
            if (LoraTarget.Of(module) is not { } layer)
                throw new InvalidDataException($"{source}: module '{name}' matches target_modules {Describe(config)} but is a {module.GetType().Name}, not a linear layer LoRA can wrap.");
            // As PEFT, a rank above the layer's smaller side is allowed (the update's rank is then that side).
            targets.Add((name, layer));
        }
        return targets;
    }

    // Checks one matrix completely (presence, shape, floating type, finite values in the adapter's type, so a float64 value
    // beyond float32's range is caught too) before anything in the model changes.
    private static Tensor Read(SafeTensorsFile file, string configPath, string module, string matrix, long[] shape,
        ScalarType type, Device device, HashSet<string> used)
    {
        string key = Key(module, matrix);
        if (!file.Entries.TryGetValue(key, out SafeTensorEntry? entry))
            throw new InvalidDataException($"{file.Path}: tensor '{key}' for module '{module}' is missing.");
        if (!entry.Shape.SequenceEqual(shape))
            throw new InvalidDataException($"{file.Path}: tensor '{key}' of module '{module}' has shape [{string.Join(", ", entry.Shape)}], " +
                                           $"the module needs [{string.Join(", ", shape)}] (rank {(matrix == "lora_A" ? shape[0] : shape[1])} from {configPath}).");
        if (!SafeTensorsFormat.TryGetType(entry.DataType, out ScalarType stored, out _)
            || stored is not (ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64))
            throw new InvalidDataException($"{file.Path}: tensor '{key}' of module '{module}' is {entry.DataType}; LoRA matrices are F16, BF16, F32 or F64.");
        Tensor value = file.Read(key, type, device);
        bool finite;
        using (no_grad()) using (Tensor all = value.isfinite().all()) finite = HostReads.Bool(all);
        if (!finite)
        {
            value.Dispose();
            throw new InvalidDataException($"{file.Path}: tensor '{key}' of module '{module}' contains NaN or infinite values (in {type}).");
        }
        used.Add(key);
        return value;
    }

    private static string Key(string module, string matrix) => $"{KeyPrefix}{module}.{matrix}.weight";

    private static ScalarType AdapterType(ScalarType weight) => weight is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : weight;

    private static string Describe(PeftLoraConfig config) =>
        config.TargetModulePattern is { } pattern ? $"'{pattern}'" : $"[{string.Join(", ", config.TargetModuleNames!)}]";

    private static string DescribeLayers(nn.Module model)
    {
        var names = model.named_modules().Where(m => LoraTarget.Of(m.module) is not null).Select(m => m.name.Split('.')[^1]).Distinct().ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }

    private void RequireNotMerged()
    {
        if (IsMerged) throw new InvalidOperationException("The adapter was merged into the base weights and no longer exists.");
    }

    private sealed class DisableScope(LoraAdapter adapter) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (--adapter._disableDepth == 0 && !adapter.IsMerged)
                foreach (LoraLayer layer in adapter._layers) layer.Enabled = true;
        }
    }

    /// <summary>The adapter's matrices under dot-free names, so a TorchSharp checkpoint can save and restore them in place.</summary>
    private sealed class AdapterParameters : nn.Module
    {
        public AdapterParameters(IReadOnlyList<LoraLayer> layers) : base(nameof(AdapterParameters))
        {
            foreach (LoraLayer layer in layers)
            {
                string name = layer.ModuleName.Replace('.', '_');
                register_parameter(name + "_lora_A", layer.A.weight);
                register_parameter(name + "_lora_B", layer.B.weight);
            }
        }
    }
}
