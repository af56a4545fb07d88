using Pama.TorchSharp.Training.Methods;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>
/// TRL's <c>masked_whiten</c> for the advantages of a step (see <see cref="AdvantageWhitening.PerObjective"/>):
/// <c>(A − m) / √(v + 1e-8)</c> with <c>m</c> the masked mean and <c>v</c> the masked variance with Bessel's
/// correction <c>k / (k − 1)</c> over the <c>k</c> response tokens; padding is set to 0.
/// </summary>
internal static class AdvantageWhitener
{
    private const double Epsilon = 1e-8;

    /// <summary>Applies <paramref name="options"/>' whitening to advantages <c>[B, T, n]</c> under the response mask <c>[B, T]</c>.</summary>
    public static Tensor Apply(PamaTrainerOptions options, Tensor advantages, Tensor mask)
    {
        if (options.AdvantageWhitening == AdvantageWhitening.None) return advantages;
        using var noGrad = no_grad();
        if (options.Method is not MorlhfMethod morlhf) return PerObjective(advantages, mask);

        // MORLHF: whiten Σ_i w_i A^i, the advantage of the scalarised reward, and hand it to every objective's column;
        // the method's Σ_i w_i (Σ_i w_i = 1) then returns exactly that whitened advantage.
        int n = (int)advantages.shape[2];
        double[] weights = [.. morlhf.Weights ?? Enumerable.Repeat(1.0 / n, n)];
        Tensor combined = (advantages * tensor(weights, dtype: advantages.dtype, device: advantages.device)).sum(-1, keepdim: true);
        return PerObjective(combined, mask).expand(advantages.shape).contiguous();
    }

    /// <summary>Whitens each objective (last dimension) of <paramref name="advantages"/> <c>[B, T, n]</c> separately over the masked tokens.</summary>
    public static Tensor PerObjective(Tensor advantages, Tensor mask)
    {
        Tensor tokenMask = mask.unsqueeze(-1);
        Tensor count = mask.sum();
        Tensor mean = (advantages * tokenMask).sum([0, 1]) / count.ClampMin(1.0);
        Tensor centred = (advantages - mean) * tokenMask;
        Tensor bessel = count / count.Minus(1.0).ClampMin(1.0);
        Tensor variance = centred.Square().sum([0, 1]) / count.ClampMin(1.0) * bessel;
        return centred * variance.Plus(Epsilon).rsqrt();
    }
}
