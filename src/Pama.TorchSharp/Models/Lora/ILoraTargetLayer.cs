using TorchSharp.Modules;

namespace Pama.TorchSharp.Models;

/// <summary>
/// A model's own linear-like layer that <see cref="LoraAdapter"/> can wrap (GPT-2's <c>Conv1D</c>): it adds the adapter's
/// output in its forward with <see cref="LoraLayer.AddTo"/>. TorchSharp's <c>Linear</c> needs no such hook (see <see cref="LoraTarget"/>). The layer must be an <c>nn.Module</c>, since the
/// adapter's <c>lora_A</c> and <c>lora_B</c> are registered as its sub-modules under PEFT's names.
/// </summary>
internal interface ILoraTargetLayer
{
    /// <summary>The base weight: <c>[out, in]</c>, or <c>[in, out]</c> when <see cref="WeightIsInputByOutput"/>.</summary>
    Parameter Weight { get; }

    /// <summary>Whether <see cref="Weight"/> is stored <c>[in, out]</c> (Hugging Face's GPT-2 <c>Conv1D</c>; PEFT's <c>fan_in_fan_out</c>).</summary>
    bool WeightIsInputByOutput { get; }

    /// <summary>The attached adapter, or <c>null</c>; set only by <see cref="LoraAdapter"/>.</summary>
    LoraLayer? Lora { get; set; }
}
