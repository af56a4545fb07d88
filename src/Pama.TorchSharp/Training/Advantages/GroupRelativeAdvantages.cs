using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>
/// Our extension, not in the paper: critic-free group-relative advantages (in the spirit of GRPO,
/// Shao et al., 2024). Rows come in groups of <c>G</c> consecutive samples of one prompt. The score of a
/// response for objective <c>i</c> is its summed per-token reward <c>S^i = R^i − β Σ_t KL_t</c>; every
/// token of the response gets <c>(S^i − mean_group S^i) / (std_group S^i + 1e-6)</c> (unbiased std).
/// </summary>
public sealed class GroupRelativeAdvantages : IAdvantageEstimator
{
    private readonly int groupSize;

    /// <summary>Group-relative advantages over groups of <paramref name="groupSize"/> consecutive rows.</summary>
    /// <param name="groupSize">Samples per prompt <c>G ≥ 2</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="groupSize"/> is less than 2.</exception>
    public GroupRelativeAdvantages(int groupSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 2);
        this.groupSize = groupSize;
    }

    /// <inheritdoc />
    public bool UsesValueHeads => false;

    /// <inheritdoc />
    public int GroupSize => groupSize;

    /// <inheritdoc />
    public (Tensor Advantages, Tensor? Returns) Estimate(Tensor tokenRewards, Tensor values, Tensor mask)
    {
        long rows = tokenRewards.shape[0], objectives = tokenRewards.shape[2];
        if (rows % groupSize != 0)
            throw new ArgumentException($"The batch has {rows} responses, not a multiple of the group size {groupSize}.", nameof(tokenRewards));
        Tensor scores = (tokenRewards * mask.unsqueeze(-1)).sum(1).reshape(rows / groupSize, groupSize, objectives);
        Tensor normalised = (scores - scores.mean([1], keepdim: true)) / scores.std(1, unbiased: true, keepdim: true).Plus(1e-6);
        Tensor advantages = normalised.reshape(rows, 1, objectives) * mask.unsqueeze(-1);
        return (advantages, null);
    }
}
