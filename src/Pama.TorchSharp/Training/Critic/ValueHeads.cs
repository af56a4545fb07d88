using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Critic;

/// <summary>
/// One scalar value head per objective on the policy's last hidden states: <c>V^i_t = w_i · h_t + b_i</c>.
/// The <c>n</c> heads are stored as the rows of one <c>[n, H]</c> weight and one <c>[n]</c> bias (one matrix
/// product for all heads; the heads share no parameters).
/// </summary>
/// <remarks>
/// <para>The heads read the hidden states <b>detached</b>, so the value losses train only the heads and the
/// policy trunk is moved by the policy loss alone. That keeps PAMA's guarantee literal: when Theorem 1
/// gives <c>s* = 0</c> the policy's parameters are not touched at all.</para>
/// <para>The heads are created at zero (no random draw, so no generator is involved). By default the trainer then
/// sets each bias to its objective's mean return on the first batch (<see cref="ValueHeadInitialization"/>), so the
/// first advantages are centred rather than the rewards themselves.</para>
/// </remarks>
public sealed class ValueHeads : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Creates <paramref name="objectiveCount"/> zero heads over hidden states of width <paramref name="hiddenSize"/>.</summary>
    /// <param name="hiddenSize">Width <c>H</c> of the hidden states.</param>
    /// <param name="objectiveCount">Number of heads <c>n</c>.</param>
    /// <param name="dtype">Floating type of the parameters (that of the policy).</param>
    /// <param name="device">Device of the parameters (that of the policy).</param>
    public ValueHeads(int hiddenSize, int objectiveCount, ScalarType dtype, Device device) : base(nameof(ValueHeads))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        ObjectiveCount = objectiveCount;
        weight = nn.Parameter(zeros(objectiveCount, hiddenSize, dtype, device));
        bias = nn.Parameter(zeros(objectiveCount, dtype, device));
        RegisterComponents();
    }

    /// <summary>Number of heads (objectives).</summary>
    public int ObjectiveCount { get; }

    /// <summary>The biases <c>[n]</c> (the parameter itself).</summary>
    internal Parameter Bias => bias;

    /// <summary>
    /// Sets the biases to <paramref name="values"/> <c>[n]</c> (converted to the heads' type and device) and returns the
    /// change <c>new − old</c> in the heads' type. Not differentiable; the optimizer state is unaffected.
    /// </summary>
    internal Tensor SetBias(Tensor values)
    {
        using var noGrad = torch.no_grad();
        Tensor target = values.to(bias.dtype, bias.device).reshape(ObjectiveCount);
        Tensor shift = target - bias.detach();
        bias.copy_(target);
        return shift;
    }

    /// <summary>Values <c>[..., n]</c> of hidden states <c>[..., H]</c>; gradients do not flow into <paramref name="hiddenStates"/>.</summary>
    /// <remarks>Hidden states of another type (a bf16 base under fp32 heads) are converted to the heads' type.</remarks>
    public override Tensor forward(Tensor hiddenStates) => nn.functional.linear(hiddenStates.detach().to(weight.dtype), weight, bias);

    /// <summary>
    /// Values <c>[..., n]</c> of hidden states <c>[..., H]</c> with gradients flowing into <paramref name="hiddenStates"/>
    /// as well, so a value loss also trains the model below (<see cref="CriticTraining.ThroughTrunk"/>, TRL's value head).
    /// </summary>
    public Tensor ForwardThroughTrunk(Tensor hiddenStates) => nn.functional.linear(hiddenStates.to(weight.dtype), weight, bias);
}
