using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Advantages;

/// <summary>
/// TRL's <c>masked_whiten</c> over the step's whole batch: <c>(A − m) / √(v + 1e-8)</c> with <c>m</c> the masked mean and
/// <c>v</c> the masked variance with Bessel's correction <c>k / (k − 1)</c> over the <c>k</c> response tokens of every rank;
/// padding is set to 0. In a data-parallel run the counts, the sums and then the squared deviations are summed over the
/// process group, so every rank whitens with the whole batch's mean and variance. What is whitened (each objective, or a
/// method's scalarised advantage) is decided by <see cref="Methods.CombineStage.PrepareStep"/>.
/// </summary>
internal static class MaskedWhitening
{
    private const double Epsilon = 1e-8;

    /// <summary>Whitens each objective (last dimension) of <paramref name="advantages"/> <c>[B, T, n]</c> separately over the masked tokens of the group.</summary>
    public static Tensor PerObjective(Tensor advantages, Tensor mask, IProcessGroup? group = null)
    {
        group ??= SingleProcessGroup.Instance;
        using var noGrad = no_grad();
        int n = (int)advantages.shape[2];
        Tensor tokenMask = mask.to(advantages.dtype).unsqueeze(-1);
        // [token count, Σ A^i (n)] over the group, then the means.
        double[] sums = group.Sum([.. Host(cat([mask.to(ScalarType.Float64).sum().reshape(1), (advantages * tokenMask).to(ScalarType.Float64).sum([0, 1])]), n + 1)]);
        double count = sums[0];
        double[] mean = [.. sums[1..].Select(s => s / Math.Max(count, 1.0))];
        Tensor centred = (advantages - tensor(mean, dtype: advantages.dtype, device: advantages.device)) * tokenMask;
        // Σ (A^i − m_i)² over the group, then the unbiased variances.
        double[] squares = group.Sum([.. Host(centred.to(ScalarType.Float64).Square().sum([0, 1]), n)]);
        double bessel = count / Math.Max(count - 1.0, 1.0);
        double[] scale = [.. squares.Select(s => 1.0 / Math.Sqrt(s / Math.Max(count, 1.0) * bessel + Epsilon))];
        return centred * tensor(scale, dtype: advantages.dtype, device: advantages.device);
    }

    /// <summary>The values of a small tensor on the host (a zero-length tensor gives zeros of the expected length).</summary>
    private static double[] Host(Tensor values, int length) =>
        values.numel() == 0 ? new double[length] : HostReads.Doubles(values);
}
