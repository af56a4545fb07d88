using Pama.TorchSharp.Distributed;
using Pama.Weightings;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// PAMA (He and Maghsudi, ECML-PKDD 2025, arXiv 2508.07768). Noon-clip the advantages
/// <c>A^i = max(A'^i, 0)</c>; form the statistics <c>a_i = mean_t A^i_t 1[u_t ≤ 1+ε]</c> at the current
/// policy; Theorem 1 (<see cref="PamaSolver"/>) gives <c>s* = min_c (Σ c_i a_i)²</c>'s root and the weights
/// <c>c</c> in O(n); the advantage is <c>Σ_i c_i A^i_t</c>. The Noon loss is linear in the advantage, so the
/// one backward that follows equals <c>Σ_i c_i ∇L^i</c>. When <c>s* = 0</c> the batch is Pareto
/// stationary and the policy is left untouched.
/// </summary>
/// <remarks>
/// <see cref="WeightingGranularity.Sequence"/> and <see cref="WeightingGranularity.Token"/> are our
/// extensions: one statistic vector and one weight vector per response or per response token, solved with
/// <see cref="PamaSolver.SolveBatch(ReadOnlySpan{double}, int, Span{double}, Span{double})"/>.
/// Only the <c>n</c> (or rows × <c>n</c>) statistics leave the device.
/// </remarks>
public sealed class PamaMethod : IMultiObjectiveMethod
{
    private static readonly PamaWeighting Weighting = new();

    /// <summary>PAMA at the given granularity.</summary>
    /// <param name="granularity">Level of the statistics and weights (default <see cref="WeightingGranularity.Batch"/>, the paper).</param>
    /// <exception cref="ArgumentOutOfRangeException">Unknown granularity.</exception>
    public PamaMethod(WeightingGranularity granularity = WeightingGranularity.Batch)
    {
        if (!Enum.IsDefined(granularity))
            throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Unknown granularity.");
        Granularity = granularity;
    }

    /// <summary>Level of PAMA's statistics and weights.</summary>
    public WeightingGranularity Granularity { get; }

    /// <inheritdoc />
    public string Name => "PAMA";

    /// <inheritdoc />
    public CombinedAdvantage Combine(MethodInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var noGrad = no_grad();
        int n = input.ObjectiveCount;
        Tensor noon = NoonStatistics.Clip(input.Advantages);
        Tensor tokenStatistics = NoonStatistics.PerToken(noon, input.Ratio(), input.Mask, input.ClipEpsilon);
        return Granularity switch
        {
            WeightingGranularity.Batch => PerBatch(noon, NoonStatistics.PerBatchSums(tokenStatistics, input.Mask), n, input.ProcessGroup),
            WeightingGranularity.Sequence => PerRow(noon, NoonStatistics.PerSequence(tokenStatistics, input.Mask),
                input.Mask.sum(1).gt(0), [noon.shape[0], 1, n], n, input.ProcessGroup),
            WeightingGranularity.Token => PerRow(noon, tokenStatistics.reshape(-1, n),
                input.Mask.reshape(-1).gt(0), [noon.shape[0], noon.shape[1], n], n, input.ProcessGroup),
            _ => throw new InvalidOperationException($"Unknown granularity {Granularity}."),
        };
    }

    /// <summary>
    /// The paper's statistic <c>a_i = Σ_{b,t} I^i_{b,t} / Σ_{b,t} mask</c>: the sums and the token count are summed over the
    /// process group first, so every rank solves Theorem 1 on the statistics of all ranks' rows.
    /// </summary>
    private static CombinedAdvantage PerBatch(Tensor noon, Tensor sumsAndCount, int n, IProcessGroup group)
    {
        double[] sums = group.Sum(sumsAndCount.contiguous().cpu().data<double>().ToArray());
        double count = Math.Max(sums[n], 1.0);
        var a = new double[n];
        for (int i = 0; i < n; i++) a[i] = sums[i] / count;
        RequireFinite(a);
        var weights = new double[n];
        Weighting.ComputeWeights(WeightingInput.FromStatistics(a), weights);
        double optimalValue = PamaSolver.OptimalValue(a);
        Tensor c = tensor(weights, dtype: noon.dtype, device: noon.device);
        return new CombinedAdvantage((noon * c).sum(-1), weights, optimalValue, UpdatesPolicy: optimalValue != 0.0);
    }

    /// <summary>
    /// One statistic vector and one Theorem 1 solve per row (rows are local to a rank, so no sum is needed for the weights);
    /// the reported means, the "policy moves" flag and the finiteness check are summed over the process group so that every
    /// rank reports and decides alike.
    /// </summary>
    private static CombinedAdvantage PerRow(Tensor noon, Tensor rowStatistics, Tensor realRows, long[] weightShape, int n, IProcessGroup group)
    {
        // One copy to the host: the statistics with each row's real flag as an extra column.
        double[] both = cat([rowStatistics.reshape(-1, n), realRows.to(ScalarType.Float64).unsqueeze(1)], 1).contiguous().cpu().data<double>().ToArray();
        int rows = both.Length / (n + 1);
        var a = new double[rows * n];
        var real = new bool[rows];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(both, r * (n + 1), a, r * n, n);
            real[r] = both[r * (n + 1) + n] != 0;
        }
        if (group.Sum(a.Count(v => !double.IsFinite(v)))[0] > 0)
            throw new NonFiniteTrainingException("A PAMA statistic is not finite (advantages overflowed); the update was refused and no parameter changed.");
        var values = new double[rows];
        var rowWeights = new double[rows * n];
        PamaSolver.SolveBatch(a, n, values, rowWeights);

        // [Σ weights (n), Σ s*, real rows, rows that move the policy], summed over the group.
        var totals = new double[n + 3];
        for (int r = 0; r < rows; r++)
        {
            if (!real[r]) continue;
            totals[n + 1]++;
            totals[n] += values[r];
            if (values[r] != 0.0) totals[n + 2]++;
            for (int i = 0; i < n; i++) totals[i] += rowWeights[r * n + i];
        }
        totals = group.Sum(totals);
        double realCount = totals[n + 1];
        bool updates = totals[n + 2] > 0;
        double meanValue = realCount > 0 ? totals[n] / realCount : 0;
        var meanWeights = new double[n];
        for (int i = 0; i < n; i++) meanWeights[i] = realCount > 0 ? totals[i] / realCount : 0;
        Tensor c = tensor(rowWeights, dtype: noon.dtype, device: noon.device).reshape(weightShape);
        return new CombinedAdvantage((noon * c).sum(-1), meanWeights, meanValue, updates, rowWeights);
    }

    private static void RequireFinite(double[] statistics)
    {
        foreach (double v in statistics)
            if (!double.IsFinite(v))
                throw new NonFiniteTrainingException($"A PAMA statistic is {v} (advantages overflowed); the update was refused and no parameter changed.");
    }
}
