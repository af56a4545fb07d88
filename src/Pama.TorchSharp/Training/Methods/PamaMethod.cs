using Pama.TorchSharp.Distributed;
using Pama.Weightings;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// PAMA (He and Maghsudi, ECML-PKDD 2025, arXiv 2508.07768). Noon-clip the advantages
/// <c>A^i = max(A'^i, 0)</c>; form the statistics <c>a_i = mean_t A^i_t 1[u_t ≤ 1+ε]</c> at the current
/// policy; Theorem 1 (<see cref="PamaSolver"/>) gives <c>s* = min_c (Σ c_i a_i)²</c>'s root and the weights
/// <c>c</c> in O(n); the advantage is <c>Σ_i c_i A^i_t</c>. The Noon loss is linear in the advantage, so the
/// one backward that follows equals <c>Σ_i c_i ∇L^i</c>. When <c>s* = 0</c> the batch is Pareto
/// stationary and the policy is left untouched. Objectives with a zero advantage on every token
/// (<see cref="FlatObjectives"/>) get weight 0 and Theorem 1 is solved over the others.
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
        // Flat on every rank: an objective with a nonzero advantage anywhere in the group is not flat.
        bool[] localFlat = FlatObjectives.Find(input.Advantages, input.Mask);
        double[] nonFlatRanks = input.ProcessGroup.Sum([.. localFlat.Select(f => f ? 0.0 : 1.0)]);
        bool[] flat = [.. nonFlatRanks.Select(v => v == 0.0)];
        int[] active = FlatObjectives.Active(flat);
        Tensor noon = NoonStatistics.Clip(input.Advantages);
        Tensor tokenStatistics = NoonStatistics.PerToken(noon, input.Ratio(), input.Mask, input.ClipEpsilon);
        CombinedAdvantage combined = Granularity switch
        {
            WeightingGranularity.Batch => PerBatch(noon, NoonStatistics.PerBatchSums(tokenStatistics, input.Mask), n, input.ProcessGroup, active),
            WeightingGranularity.Sequence => PerRow(noon, NoonStatistics.PerSequence(tokenStatistics, input.Mask),
                input.Mask.sum(1).Gt(0), [noon.shape[0], 1, n], n, input.ProcessGroup, active),
            WeightingGranularity.Token => PerRow(noon, tokenStatistics.reshape(-1, n),
                input.Mask.reshape(-1).Gt(0), [noon.shape[0], noon.shape[1], n], n, input.ProcessGroup, active),
            _ => throw new InvalidOperationException($"Unknown granularity {Granularity}."),
        };
        int[] flatIndices = [.. Enumerable.Range(0, n).Where(i => flat[i])];
        if (flatIndices.Length == n) return combined with { Flat = flatIndices, WithoutPositiveAdvantage = [] };   // no signal at all
        return combined with { Flat = flatIndices.Length == 0 ? null : flatIndices };
    }

    /// <summary>
    /// The paper's statistic <c>a_i = Σ_{b,t} I^i_{b,t} / Σ_{b,t} mask</c>: the sums and the token count are summed over the
    /// process group first, so every rank solves Theorem 1 on the statistics of all ranks' rows.
    /// </summary>
    private static CombinedAdvantage PerBatch(Tensor noon, Tensor sumsAndCount, int n, IProcessGroup group, int[] active)
    {
        double[] sums = group.Sum(sumsAndCount.contiguous().cpu().data<double>().ToArray());
        double count = Math.Max(sums[n], 1.0);
        var all = new double[n];
        for (int i = 0; i < n; i++) all[i] = sums[i] / count;
        RequireFinite(all);
        double[] a = [.. active.Select(i => all[i])];
        var activeWeights = new double[a.Length];
        Weighting.ComputeWeights(WeightingInput.FromStatistics(a), activeWeights);
        double optimalValue = PamaSolver.OptimalValue(a);
        var weights = new double[n];
        for (int k = 0; k < active.Length; k++) weights[active[k]] = activeWeights[k];
        Tensor c = tensor(weights, dtype: noon.dtype, device: noon.device);
        bool updates = optimalValue != 0.0;
        return new CombinedAdvantage((noon * c).sum(-1), weights, optimalValue, updates,
            WithoutPositiveAdvantage: updates ? null : [.. active.Where(i => all[i] == 0.0)]);
    }

    /// <summary>
    /// One statistic vector and one Theorem 1 solve per row (rows are local to a rank, so no sum is needed for the weights);
    /// the reported means, the "policy moves" flag and the finiteness check are summed over the process group so that every
    /// rank reports and decides alike.
    /// </summary>
    private static CombinedAdvantage PerRow(Tensor noon, Tensor rowStatistics, Tensor realRows, long[] weightShape, int n, IProcessGroup group, int[] active)
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
        int k = active.Length;
        var activeStatistics = new double[rows * k];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) activeStatistics[r * k + j] = a[r * n + active[j]];
        var values = new double[rows];
        var activeWeights = new double[rows * k];
        PamaSolver.SolveBatch(activeStatistics, k, values, activeWeights);
        var rowWeights = new double[rows * n];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) rowWeights[r * n + active[j]] = activeWeights[r * k + j];

        // [Σ weights (n), Σ s*, real rows, rows that move the policy, Σ statistics (n)], summed over the group.
        var totals = new double[2 * n + 3];
        for (int r = 0; r < rows; r++)
        {
            if (!real[r]) continue;
            totals[n + 1]++;
            totals[n] += values[r];
            if (values[r] != 0.0) totals[n + 2]++;
            for (int i = 0; i < n; i++)
            {
                totals[i] += rowWeights[r * n + i];
                totals[n + 3 + i] += a[r * n + i];
            }
        }
        totals = group.Sum(totals);
        double realCount = totals[n + 1];
        bool updates = totals[n + 2] > 0;
        double meanValue = realCount > 0 ? totals[n] / realCount : 0;
        var meanWeights = new double[n];
        for (int i = 0; i < n; i++) meanWeights[i] = realCount > 0 ? totals[i] / realCount : 0;
        Tensor c = tensor(rowWeights, dtype: noon.dtype, device: noon.device).reshape(weightShape);
        // When no row moves, name the objectives that had no positive unclipped advantage in any row.
        return new CombinedAdvantage((noon * c).sum(-1), meanWeights, meanValue, updates, rowWeights,
            WithoutPositiveAdvantage: updates ? null : [.. active.Where(i => totals[n + 3 + i] == 0.0)]);
    }

    private static void RequireFinite(double[] statistics)
    {
        foreach (double v in statistics)
            if (!double.IsFinite(v))
                throw new NonFiniteTrainingException($"A PAMA statistic is {v} (advantages overflowed); the update was refused and no parameter changed.");
    }
}
