using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// MORLHF: <c>A_t = Σ_i w_i A'^i_t</c> with fixed preference weights on the standard advantages
/// (negatives kept). Because the weights sum to 1 and GAE is linear in rewards and values, this equals
/// PPO on the scalarised reward <c>Σ_i w_i R^i</c> with the KL penalty counted once.
/// </summary>
internal sealed class MorlhfMethod(IReadOnlyList<double> preferenceWeights) : IMultiObjectiveMethod
{
    private readonly double[] _weights = [.. preferenceWeights];

    public CombinedAdvantage Combine(MethodInput input)
    {
        using var noGrad = no_grad();
        Tensor weights = tensor(_weights, dtype: input.Advantages.dtype, device: input.Advantages.device);
        return new CombinedAdvantage((input.Advantages * weights).sum(-1), [.. _weights], double.NaN, UpdatesPolicy: true);
    }
}
