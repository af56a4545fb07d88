using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A layer LoRA can wrap, seen uniformly: its base weight and layout, and how the adapter's branch is attached to its
/// forward. Two kinds exist: TorchSharp's <see cref="Linear"/> (the branch is a forward hook, which runs when the model
/// invokes the layer with <c>call</c>), and a model's own layer implementing <see cref="ILoraTargetLayer"/> (GPT-2's
/// <c>Conv1D</c>, which adds the branch in its forward).
/// </summary>
internal sealed class LoraTarget
{
    private readonly Func<Parameter> _weight;
    private readonly Func<LoraLayer, Action> _attach;
    private Action? _detach;

    private LoraTarget(nn.Module module, Func<Parameter> weight, bool weightIsInputByOutput, Func<LoraLayer, Action> attach)
    {
        Module = module;
        _weight = weight;
        WeightIsInputByOutput = weightIsInputByOutput;
        _attach = attach;
    }

    /// <summary>The wrapped module (where <c>lora_A</c> and <c>lora_B</c> are registered).</summary>
    public nn.Module Module { get; }

    /// <summary>The base weight, read when needed (converting the model replaces parameter objects).</summary>
    public Parameter Weight => _weight();

    /// <summary>Whether <see cref="Weight"/> is stored <c>[in, out]</c> (PEFT's <c>fan_in_fan_out</c>).</summary>
    public bool WeightIsInputByOutput { get; }

    public long Inputs => WeightIsInputByOutput ? Weight.shape[0] : Weight.shape[1];

    public long Outputs => WeightIsInputByOutput ? Weight.shape[1] : Weight.shape[0];

    /// <summary>Whether the module already carries a LoRA branch.</summary>
    public static bool IsAdapted(nn.Module module) => module.named_children().Any(c => c.name == "lora_A");

    /// <summary>The target view of <paramref name="module"/>, or <c>null</c> when LoRA cannot wrap it.</summary>
    public static LoraTarget? Of(nn.Module module) => module switch
    {
        ILoraTargetLayer layer => new LoraTarget(module, () => layer.Weight, layer.WeightIsInputByOutput, lora =>
        {
            layer.Lora = lora;
            return () => layer.Lora = null;
        }),
        Linear linear => new LoraTarget(module, () => linear.weight!, false, lora =>
        {
            var hook = linear.register_forward_hook((_, input, output) => lora.AddTo(input, output));
            return hook.remove;
        }),
        _ => null,
    };

    /// <summary>Registers the layer's matrices under PEFT's names and routes the module's output through its branch.</summary>
    public void Attach(LoraLayer lora)
    {
        Module.register_module("lora_A", lora.A);
        Module.register_module("lora_B", lora.B);
        lora.A.train(Module.training);
        lora.B.train(Module.training);
        _detach = _attach(lora);
    }

    /// <summary>Undoes <see cref="Attach"/>.</summary>
    public void Detach()
    {
        _detach?.Invoke();
        _detach = null;
        // Registering null removes a sub-module (TorchSharp's register_module).
        Module.register_module("lora_A", null!);
        Module.register_module("lora_B", null!);
    }
}
