using System.Runtime.CompilerServices;

namespace Pama.Statistics;

/// <summary>
/// The per-objective statistic aᵢ that PAMA feeds to <see cref="PamaSolver"/> (He and Maghsudi 2025,
/// "Pareto Multi-Objective Alignment for Language Models", Section "Noon PPO" and Theorem 1).
/// </summary>
/// <remarks>
/// <para>
/// Noon PPO clips negative advantages, Aᵢₜ = max(A′ᵢₜ, 0). With uₜ = π_θ(aₜ|sₜ) / π_old(aₜ|sₜ), the
/// gradient of the clipped surrogate Lᵢ = Eₜ[min(uₜ Aᵢₜ, clip(uₜ, 1−ε, 1+ε) Aᵢₜ)] is Eₜ[Iᵢₜ ∇uₜ]
/// with Iᵢₜ = Aᵢₜ · 1[uₜ ≤ 1+ε]: only unclipped tokens contribute. The statistic is the masked mean
/// </para>
/// <code>aᵢ = (Σₜ mₜ · max(A′ᵢₜ, 0) · 1[uₜ ≤ 1+ε]) / (Σₜ mₜ)</code>
/// <para>
/// over the batch's response tokens (mask mₜ, normally 1 on response tokens and 0 on prompt and
/// padding tokens; any finite non-negative weight is accepted). This is the paper's batch-level
/// granularity. Every input entry is validated, masked or not, so a NaN anywhere is reported
/// rather than silently dropped. Sums run in float64 in token order.
/// </para>
/// </remarks>
public static class NoonStatistic
{
    /// <summary>
    /// The Noon contribution of one token: Iₜ = max(A′ₜ, 0) · 1[uₜ ≤ 1+ε]. Inputs are not validated.
    /// </summary>
    /// <param name="advantage">The raw (unclipped) advantage A′ₜ.</param>
    /// <param name="ratio">The probability ratio uₜ = π_θ / π_old.</param>
    /// <param name="epsilon">The PPO clip range ε.</param>
    /// <returns>Iₜ ≥ 0.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Contribution(double advantage, double ratio, double epsilon) =>
        ratio <= 1.0 + epsilon && advantage > 0.0 ? advantage : 0.0;

    /// <summary>
    /// Computes one objective's statistic a = (Σₜ mₜ · max(Aₜ, 0) · 1[uₜ ≤ 1+ε]) / (Σₜ mₜ).
    /// </summary>
    /// <param name="advantages">Per-token raw advantages A′ₜ of the objective (finite).</param>
    /// <param name="ratios">Per-token probability ratios uₜ (finite, ≥ 0); same length.</param>
    /// <param name="mask">Per-token weights mₜ (finite, ≥ 0; normally 0/1); same length, positive sum.</param>
    /// <param name="epsilon">The PPO clip range ε (finite, ≥ 0).</param>
    /// <returns>The statistic a ≥ 0.</returns>
    /// <exception cref="ArgumentException">
    /// Lengths differ, the mask sums to 0, or an entry is invalid (the message names the token index).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative or not finite.</exception>
    public static double Compute(
        ReadOnlySpan<double> advantages, ReadOnlySpan<double> ratios, ReadOnlySpan<double> mask, double epsilon)
    {
        CheckTokenLengths(advantages.Length, ratios.Length, mask.Length);
        CheckEpsilon(epsilon);

        double numerator = 0.0;
        double maskSum = 0.0;
        double limit = 1.0 + epsilon;
        for (int t = 0; t < advantages.Length; t++)
        {
            double advantage = advantages[t];
            if (!double.IsFinite(advantage))
            {
                ThrowToken("Advantage", t, advantage, nameof(advantages));
            }

            double m = CheckTokenAndGetMask(ratios, mask, t);

            // Branch-free on the sign of the advantage (random in practice, so a branch would mispredict).
            double unclippedWeight = ratios[t] <= limit ? m : 0.0;
            numerator += unclippedWeight * double.MaxNative(advantage, 0.0);
            maskSum += m;
        }

        CheckMaskSum(maskSum);
        return numerator / maskSum;
    }

    /// <summary>
    /// Computes the statistics of n objectives at once:
    /// aᵢ = (Σₜ mₜ · max(A′ₜᵢ, 0) · 1[uₜ ≤ 1+ε]) / (Σₜ mₜ) for i = 0..n−1.
    /// </summary>
    /// <param name="advantages">Row-major [tokens × n] raw advantages (row t holds token t's n advantages).</param>
    /// <param name="ratios">Per-token probability ratios uₜ (finite, ≥ 0), one per token.</param>
    /// <param name="mask">Per-token weights mₜ (finite, ≥ 0; normally 0/1), one per token, positive sum.</param>
    /// <param name="epsilon">The PPO clip range ε (finite, ≥ 0).</param>
    /// <param name="statistics">Receives the n statistics; its length defines n (≥ 1).</param>
    /// <exception cref="ArgumentException">
    /// Lengths do not match, the mask sums to 0, or an entry is invalid (the message names the token
    /// index and, for advantages, the objective index).
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is negative or not finite.</exception>
    public static void Compute(
        ReadOnlySpan<double> advantages,
        ReadOnlySpan<double> ratios,
        ReadOnlySpan<double> mask,
        double epsilon,
        Span<double> statistics)
    {
        int n = statistics.Length;
        int tokens = ratios.Length;
        if (n == 0)
        {
            throw new ArgumentException("At least one objective is required (statistics is empty).", nameof(statistics));
        }

        if (advantages.Length != (long)tokens * n)
        {
            throw new ArgumentException(
                $"The advantages span has length {advantages.Length} but {tokens} tokens × {n} objectives = {(long)tokens * n} were expected.",
                nameof(advantages));
        }

        if (mask.Length != tokens)
        {
            throw new ArgumentException(
                $"The mask has length {mask.Length} but the ratios have {tokens} tokens.", nameof(mask));
        }

        CheckEpsilon(epsilon);

        statistics.Clear();
        double maskSum = 0.0;
        double limit = 1.0 + epsilon;
        for (int t = 0; t < tokens; t++)
        {
            double m = CheckTokenAndGetMask(ratios, mask, t);
            double unclippedWeight = ratios[t] <= limit ? m : 0.0;
            var row = advantages.Slice(t * n, n);
            for (int i = 0; i < n; i++)
            {
                double advantage = row[i];
                if (!double.IsFinite(advantage))
                {
                    throw new ArgumentException(
                        $"Advantage of objective {i} at token {t} is {PamaSolver.Describe(advantage)}.", nameof(advantages));
                }

                statistics[i] += unclippedWeight * double.MaxNative(advantage, 0.0);
            }

            maskSum += m;
        }

        CheckMaskSum(maskSum);
        for (int i = 0; i < n; i++)
        {
            statistics[i] /= maskSum;
        }
    }

    private static void CheckTokenLengths(int advantageCount, int ratioCount, int maskCount)
    {
        if (ratioCount != advantageCount)
        {
            throw new ArgumentException(
                $"The ratios have length {ratioCount} but the advantages have {advantageCount} tokens.", "ratios");
        }

        if (maskCount != advantageCount)
        {
            throw new ArgumentException(
                $"The mask has length {maskCount} but the advantages have {advantageCount} tokens.", "mask");
        }
    }

    private static void CheckEpsilon(double epsilon)
    {
        if (!(epsilon >= 0.0) || double.IsPositiveInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(
                nameof(epsilon), epsilon, "The clip range epsilon must be finite and non-negative.");
        }
    }

    /// <summary>Validates token t's ratio and mask and returns the mask weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double CheckTokenAndGetMask(ReadOnlySpan<double> ratios, ReadOnlySpan<double> mask, int t)
    {
        double ratio = ratios[t];
        if (!double.IsFinite(ratio) || ratio < 0.0)
        {
            ThrowToken("Ratio", t, ratio, nameof(ratios));
        }

        double m = mask[t];
        if (!double.IsFinite(m) || m < 0.0)
        {
            ThrowToken("Mask entry", t, m, nameof(mask));
        }

        return m;
    }

    private static void CheckMaskSum(double maskSum)
    {
        if (!(maskSum > 0.0) || double.IsPositiveInfinity(maskSum))
        {
            throw new ArgumentException(
                $"The mask selects no tokens: its entries sum to {maskSum}, so the masked mean is undefined.", "mask");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowToken(string what, int token, double value, string paramName)
    {
        string description = double.IsFinite(value) ? $"negative ({value})" : PamaSolver.Describe(value);
        throw new ArgumentException($"{what} at token {token} is {description}.", paramName);
    }
}
