using Pama.TorchSharp.Distributed;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>What the <see cref="CombineStage"/> sees of one minibatch update, after the policy's forward pass.</summary>
/// <param name="Advantages">Per-objective advantages <c>A'^i_t</c> <c>[b, T, n]</c> (zero on padding), no gradient, as prepared for the
/// step by <see cref="CombineStage.PrepareStep"/>.</param>
/// <param name="NewLogProbs">Log-probabilities of the response tokens under the current policy <c>[b, T]</c>, with gradient.</param>
/// <param name="OldLogProbs">Rollout log-probabilities <c>[b, T]</c>, no gradient.</param>
/// <param name="Mask">Response mask <c>[b, T]</c> (1 on response tokens).</param>
/// <param name="LastHiddenState">The policy's last hidden states of the whole sequence <c>[b, L, H]</c>, with gradient
/// (MGDA-UB differentiates the per-objective losses with respect to it).</param>
/// <param name="ClipEpsilon">PPO clip range ε.</param>
public sealed record MethodInput(
    Tensor Advantages,
    Tensor NewLogProbs,
    Tensor OldLogProbs,
    Tensor Mask,
    Tensor LastHiddenState,
    double ClipEpsilon)
{
    /// <summary>
    /// The processes sharing this update (data parallelism). Everything a weighting reads is summed over the group, so that
    /// every rank gets the weights one process would get on the union of the ranks' rows.
    /// </summary>
    public IProcessGroup ProcessGroup { get; init; } = SingleProcessGroup.Instance;

    /// <summary>
    /// This rank's share of the update's response tokens, <c>N_rank / N_all</c> (1 in a single process): a token mean over this
    /// rank's rows times this share is the rank's term of the mean over all ranks' rows.
    /// </summary>
    public double TokenShare { get; init; } = 1.0;

    /// <summary>
    /// This rank's part of the update's Gramian, summed over its micro-batches, when the update's rows were forwarded in parts
    /// (<see cref="CombineStage.BeginGramian"/>); the stage sums it over the group where it would form its own. <c>null</c>: the
    /// stage forms it from this input, whose <see cref="NewLogProbs"/> and <see cref="LastHiddenState"/> then carry the graph.
    /// </summary>
    internal CombineStage.GramianSum? GramianParts { get; init; }

    /// <summary>Number of objectives <c>n</c>.</summary>
    public int ObjectiveCount => (int)Advantages.shape[2];

    /// <summary>Ratio <c>u_t = π_θ(y_t)/π_old(y_t)</c> at the current policy, detached <c>[b, T]</c>.</summary>
    public Tensor Ratio() => (NewLogProbs.detach() - OldLogProbs).exp();
}
