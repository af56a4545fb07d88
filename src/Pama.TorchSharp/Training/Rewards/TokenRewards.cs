using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Rewards;

/// <summary>Per-token rewards of every objective: the KL penalty on every response token, the objective's reward on the last.</summary>
public static class TokenRewards
{
    /// <summary>
    /// <c>r^i_t = −β KL_t + R^i · 1[t = last response token]</c> with <c>KL_t = log π_old(y_t) − log π_ref(y_t)</c>
    /// on each response token (zero on padding). Returns <c>[B, T, n]</c> and the per-token KL <c>[B, T]</c>.
    /// </summary>
    /// <param name="policyLogProbs">Rollout log-probabilities of the response tokens <c>[B, T]</c>.</param>
    /// <param name="referenceLogProbs">Reference log-probabilities <c>[B, T]</c>.</param>
    /// <param name="mask">Response mask <c>[B, T]</c> (a prefix of ones per row).</param>
    /// <param name="rewards">Objective rewards <c>[B, n]</c>.</param>
    /// <param name="klCoefficient">β.</param>
    public static (Tensor Rewards, Tensor Kl) Compute(Tensor policyLogProbs, Tensor referenceLogProbs, Tensor mask, Tensor rewards, double klCoefficient)
    {
        Tensor kl = (policyLogProbs - referenceLogProbs) * mask;
        long length = mask.shape[1];
        // Index of the last response token of each row; rows with no token get no reward.
        Tensor positions = KeptScalars.Arange(0, length, device: mask.device).to(mask.dtype);
        Tensor last = (mask * positions.Plus(1L)).argmax(1);
        Tensor lastToken = nn.functional.one_hot(last, length).to(mask.dtype) * mask;
        Tensor tokenRewards = kl.Times(-klCoefficient).unsqueeze(-1).Plus(lastToken.unsqueeze(-1) * rewards.unsqueeze(1));
        return (tokenRewards, kl);
    }
}
