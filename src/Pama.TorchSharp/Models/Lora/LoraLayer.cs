using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// The low-rank branch of one wrapped layer (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language
/// Models"): <c>Δy = s · B A dropout(x)</c> with <c>A</c> <c>[r, in]</c>, <c>B</c> <c>[out, r]</c> and scale <c>s</c>.
/// <c>A</c> and <c>B</c> are the <c>weight</c> of two sub-modules registered on the wrapped layer as
/// <c>lora_A</c> and <c>lora_B</c>, so the model's parameter names are PEFT's saved names.
/// </summary>
internal sealed class LoraLayer : IDisposable
{
    private readonly Generator? _dropoutGenerator;

    public LoraLayer(string moduleName, LoraTarget target, int rank, double alpha, double scale, double dropout,
        Tensor a, Tensor b, Generator? dropoutGenerator)
    {
        ModuleName = moduleName;
        Target = target;
        Rank = rank;
        Alpha = alpha;
        Scale = scale;
        Dropout = dropout;
        A = new LoraMatrix(a);
        B = new LoraMatrix(b);
        _dropoutGenerator = dropoutGenerator;
    }

    /// <summary>The wrapped layer's name in the model, e.g. <c>model.layers.0.self_attn.q_proj</c>.</summary>
    public string ModuleName { get; }

    public LoraTarget Target { get; }

    public int Rank { get; }

    public double Alpha { get; }

    public double Scale { get; }

    public double Dropout { get; }

    public LoraMatrix A { get; }

    public LoraMatrix B { get; }

    /// <summary>False while <see cref="LoraAdapter.Disable"/> is in effect: the layer computes its base map.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Adds the branch to the base layer's output. As PEFT, the input is cast to the adapter's type (so a bf16 base
    /// feeds an fp32 adapter), and the sum is returned in the base output's type.
    /// </summary>
    public Tensor AddTo(Tensor input, Tensor baseOutput)
    {
        if (!Enabled) return baseOutput;
        Tensor x = input.to(A.weight.dtype);
        if (A.training && Dropout > 0) x = ApplyDropout(x);
        Tensor delta = nn.functional.linear(nn.functional.linear(x, A.weight), B.weight);
        using Scalar scale = Scale.ToScalar();
        return baseOutput.add(delta, scale).to(baseOutput.dtype);
    }

    /// <summary><c>s · B A</c> in the layout of the base weight (<c>[out, in]</c>, or transposed for <c>fan_in_fan_out</c>).</summary>
    public Tensor DeltaWeight()
    {
        Tensor delta = B.weight.matmul(A.weight).Times(Scale);
        return Target.WeightIsInputByOutput ? delta.t() : delta;
    }

    /// <summary>Frees the two matrices (after they are removed from the model).</summary>
    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    /// <summary>Inverted dropout whose mask is drawn from the adapter's own CPU generator (TorchSharp's generators are
    /// CPU generators), so a run is reproducible without touching TorchSharp's global generator.</summary>
    private Tensor ApplyDropout(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor keep = empty(x.shape, x.dtype, CPU).bernoulli_(1 - Dropout, _dropoutGenerator).to(x.device);
        return x.mul(keep).DividedBy(1 - Dropout).MoveToOuterDisposeScope();
    }
}

/// <summary>One LoRA matrix as a module with a single <c>weight</c>, PEFT's <c>nn.Linear</c> without bias.</summary>
internal sealed class LoraMatrix : nn.Module
{
    // The field name is the parameter name: "lora_A.weight".
    public readonly Parameter weight;

    public LoraMatrix(Tensor value) : base("lora_matrix")
    {
        weight = new Parameter(value, requires_grad: true);
        RegisterComponents();
    }
}
