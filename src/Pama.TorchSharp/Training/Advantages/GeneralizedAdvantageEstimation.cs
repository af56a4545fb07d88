using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>
/// GAE (Schulman et al., 2016) per objective with that objective's value head, as in the paper:
/// <c>δ^i_t = r^i_t + γ V^i_{t+1} − V^i_t</c> (with <c>V_{t+1} = 0</c> after the last response token),
/// <c>A'^i_t = δ^i_t + γλ A'^i_{t+1}</c>, returns <c>A'^i_t + V^i_t</c>.
/// </summary>
internal sealed class GeneralizedAdvantageEstimation(double gamma, double lambda) : IAdvantageEstimator
{
    public (Tensor Advantages, Tensor? Returns) Estimate(Tensor tokenRewards, Tensor values, Tensor mask)
    {
        long length = tokenRewards.shape[1];
        Tensor tokenMask = mask.unsqueeze(-1);
        Tensor maskedValues = values * tokenMask;
        var steps = new Tensor[length];
        Tensor running = zeros_like(tokenRewards.select(1, 0));
        for (long t = length - 1; t >= 0; t--)
        {
            Tensor current = tokenMask.select(1, t);
            Tensor nextValue = t + 1 < length ? maskedValues.select(1, t + 1) : zeros_like(running);
            Tensor nextMask = t + 1 < length ? tokenMask.select(1, t + 1) : zeros_like(current);
            Tensor delta = (tokenRewards.select(1, t) + gamma * nextValue - maskedValues.select(1, t)) * current;
            running = delta + gamma * lambda * nextMask * running;
            steps[t] = running;
        }
        Tensor advantages = stack(steps, 1);
        return (advantages, (advantages + maskedValues) * tokenMask);
    }
}
