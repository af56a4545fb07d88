namespace Pama.TorchSharp.Training;

/// <summary>What the value losses train.</summary>
public enum CriticTraining
{
    /// <summary>
    /// The value heads read the policy's last hidden states <b>detached</b>: the value losses train the heads only
    /// and the policy trunk moves by the policy loss alone (the default). PAMA's guarantee then holds literally:
    /// when Theorem 1 gives <c>s* = 0</c> no policy parameter changes.
    /// </summary>
    HeadsOnly,

    /// <summary>
    /// TRL's value head: the value losses (times <see cref="PamaTrainerOptions.ValueLossCoefficient"/>) also
    /// back-propagate through the shared hidden states into the policy's trunk, in the same backward pass as the
    /// policy loss. The policy optimizer then steps whenever there is a value loss, so with <c>s* = 0</c> PAMA's
    /// update still moves the trunk by the critic's gradient: the paper's "no update at a Pareto-stationary batch"
    /// no longer holds.
    /// </summary>
    ThroughTrunk,
}
