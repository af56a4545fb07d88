using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>
/// GAE (Schulman et al., 2016) per objective with that objective's value head, as in the paper:
/// <c>δ^i_t = r^i_t + γ V^i_{t+1} − V^i_t</c> (with <c>V_{t+1} = 0</c> after the last response token),
/// <c>A'^i_t = δ^i_t + γλ A'^i_{t+1}</c>, returns <c>A'^i_t + V^i_t</c>.
/// </summary>
public sealed class GeneralizedAdvantageEstimation : IAdvantageEstimator
{
    private readonly double gamma;
    private readonly double lambda;

    /// <summary>GAE with discount <paramref name="gamma"/> and trace decay <paramref name="lambda"/>.</summary>
    /// <param name="gamma">Discount γ in [0, 1] (the paper: 1).</param>
    /// <param name="lambda">GAE λ in [0, 1] (the paper: 0.95).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value lies outside [0, 1].</exception>
    public GeneralizedAdvantageEstimation(double gamma, double lambda)
    {
        if (!(gamma >= 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must lie in [0, 1].");
        if (!(lambda >= 0 && lambda <= 1)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must lie in [0, 1].");
        this.gamma = gamma;
        this.lambda = lambda;
    }

    /// <summary>The discount γ.</summary>
    public double Gamma => gamma;

    /// <summary>The GAE trace decay λ.</summary>
    public double Lambda => lambda;

    /// <inheritdoc />
    public double Discount => gamma;

    /// <inheritdoc />
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
            Tensor delta = (tokenRewards.select(1, t).Plus(nextValue.Times(gamma)) - maskedValues.select(1, t)) * current;
            running = delta.Plus(nextMask.Times(gamma * lambda) * running);
            steps[t] = running;
        }
        Tensor advantages = stack(steps, 1);
        return (advantages, advantages.Plus(maskedValues) * tokenMask);
    }
}
