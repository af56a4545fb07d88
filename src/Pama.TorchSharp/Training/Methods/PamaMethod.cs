using Pama.Weightings;
using static TorchSharp.torch;

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
        bool[] flat = FlatObjectives.Find(input.Advantages, input.Mask);
        int[] active = FlatObjectives.Active(flat);
        Tensor noon = NoonStatistics.Clip(input.Advantages);
        Tensor tokenStatistics = NoonStatistics.PerToken(noon, input.Ratio(), input.Mask, input.ClipEpsilon);
        CombinedAdvantage combined = Granularity switch
        {
            WeightingGranularity.Batch => PerBatch(noon, NoonStatistics.PerBatch(tokenStatistics, input.Mask), n, active),
            WeightingGranularity.Sequence => PerRow(noon, NoonStatistics.PerSequence(tokenStatistics, input.Mask),
                input.Mask.sum(1).gt(0), [noon.shape[0], 1, n], n, active),
            WeightingGranularity.Token => PerRow(noon, tokenStatistics.reshape(-1, n),
                input.Mask.reshape(-1).gt(0), [noon.shape[0], noon.shape[1], n], n, active),
            _ => throw new InvalidOperationException($"Unknown granularity {Granularity}."),
        };
        int[] flatIndices = [.. Enumerable.Range(0, n).Where(i => flat[i])];
        if (flatIndices.Length == n) return combined with { Flat = flatIndices, WithoutPositiveAdvantage = [] };   // no signal at all
        return combined with { Flat = flatIndices.Length == 0 ? null : flatIndices };
    }

    private static CombinedAdvantage PerBatch(Tensor noon, Tensor statistics, int n, int[] active)
    {
        double[] all = ToHost(statistics);
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

    private static CombinedAdvantage PerRow(Tensor noon, Tensor rowStatistics, Tensor realRows, long[] weightShape, int n, int[] active)
    {
        // One copy to the host: the statistics with each row's real flag as an extra column.
        double[] both = cat([rowStatistics.reshape(-1, n), realRows.to(ScalarType.Float64).unsqueeze(1)], 1).contiguous().cpu().data<double>().ToArray();
        int rows = both.Length / (n + 1), k = active.Length;
        var all = new double[rows * n];
        var real = new bool[rows];
        for (int r = 0; r < rows; r++)
        {
            Array.Copy(both, r * (n + 1), all, r * n, n);
            real[r] = both[r * (n + 1) + n] != 0;
        }
        RequireFinite(all);
        var a = new double[rows * k];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) a[r * k + j] = all[r * n + active[j]];
        var values = new double[rows];
        var activeWeights = new double[rows * k];
        PamaSolver.SolveBatch(a, k, values, activeWeights);
        var rowWeights = new double[rows * n];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++) rowWeights[r * n + active[j]] = activeWeights[r * k + j];

        var meanWeights = new double[n];
        var statisticSums = new double[n];
        double meanValue = 0;
        int realCount = 0;
        bool updates = false;
        for (int r = 0; r < rows; r++)
        {
            if (!real[r]) continue;
            realCount++;
            meanValue += values[r];
            updates |= values[r] != 0.0;
            for (int i = 0; i < n; i++)
            {
                meanWeights[i] += rowWeights[r * n + i];
                statisticSums[i] += all[r * n + i];
            }
        }
        if (realCount > 0)
        {
            meanValue /= realCount;
            for (int i = 0; i < n; i++) meanWeights[i] /= realCount;
        }
        Tensor c = tensor(rowWeights, dtype: noon.dtype, device: noon.device).reshape(weightShape);
        // When no row moves, name the objectives that had no positive unclipped advantage in any row.
        return new CombinedAdvantage((noon * c).sum(-1), meanWeights, meanValue, updates, rowWeights,
            WithoutPositiveAdvantage: updates ? null : [.. active.Where(i => statisticSums[i] == 0.0)]);
    }

    private static double[] ToHost(Tensor statistics) => RequireFinite(statistics.contiguous().cpu().data<double>().ToArray());

    private static double[] RequireFinite(double[] values)
    {
        foreach (double v in values)
            if (!double.IsFinite(v))
                throw new NonFiniteTrainingException($"A PAMA statistic is {v} (advantages overflowed); the update was refused and no parameter changed.");
        return values;
    }
}
