using Pama.TorchSharp.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rewards;

/// <summary>
/// An objective scored by a TorchSharp reward model that reads the policy's token ids: the module maps
/// the sequence ids <c>[B, P + T]</c> (int64) and the attention mask <c>[B, P + T]</c> to one score per
/// sample <c>[B]</c>. It must use the policy's tokenizer; for a model with its own tokenizer, wrap it in
/// <see cref="RewardObjective.FromText"/>. Runs without gradients on the module's own device.
/// </summary>
public sealed class RewardModelObjective : IRewardObjective
{
    private readonly nn.Module<Tensor, Tensor, Tensor> _model;

    /// <summary>Creates the objective.</summary>
    /// <param name="name">Objective name.</param>
    /// <param name="model">Reward model: (ids <c>[B, L]</c>, mask <c>[B, L]</c>) → scores <c>[B]</c>.</param>
    public RewardModelObjective(string name, nn.Module<Tensor, Tensor, Tensor> model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(model);
        Name = name;
        _model = model;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyList<double> Score(RewardBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Device device = _model.parameters().FirstOrDefault()?.device ?? batch.SequenceIds.device;
        Tensor scores = _model.call(batch.SequenceIds.to(device), batch.AttentionMask.to(device));
        return HostReads.Doubles(scores.reshape(-1));
    }
}
