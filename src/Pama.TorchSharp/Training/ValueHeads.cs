using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// One scalar value head per objective on the policy's last hidden states: <c>V^i_t = w_i · h_t + b_i</c>,
/// stored as one <c>Linear(H, n)</c> whose row <c>i</c> is head <c>i</c> (the heads share no parameters).
/// </summary>
/// <remarks>
/// The heads read the hidden states <b>detached</b>, so the value losses train only the heads and the
/// policy trunk is moved by the policy loss alone. That keeps PAMA's guarantee literal: when Theorem 1
/// gives <c>s* = 0</c> the policy's parameters are not touched at all.
/// </remarks>
public sealed class ValueHeads : nn.Module<Tensor, Tensor>
{
    private readonly Linear heads;

    /// <summary>Creates <paramref name="objectiveCount"/> heads over hidden states of width <paramref name="hiddenSize"/>.</summary>
    public ValueHeads(int hiddenSize, int objectiveCount) : base(nameof(ValueHeads))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        ObjectiveCount = objectiveCount;
        heads = nn.Linear(hiddenSize, objectiveCount);
        RegisterComponents();
    }

    /// <summary>Number of heads (objectives).</summary>
    public int ObjectiveCount { get; }

    /// <summary>Values <c>[..., n]</c> of hidden states <c>[..., H]</c>; gradients do not flow into <paramref name="hiddenStates"/>.</summary>
    public override Tensor forward(Tensor hiddenStates) => heads.call(hiddenStates.detach());
}
