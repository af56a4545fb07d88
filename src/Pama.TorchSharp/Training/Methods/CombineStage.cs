using MathNet.Numerics.LinearAlgebra;
using Pama.TorchSharp.Aggregation;
using Pama.TorchSharp.Distributed;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training.Ppo;
using Pama.Weightings;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// The trainer's one combine stage: it turns the per-objective advantages of a minibatch update into ONE advantage
/// <c>Σ_i c_i A^i</c> with the weights of a method's core <see cref="IWeighting"/>, and decides whether the policy moves.
/// Everything but the weighting is done here, once, for every method alike.
/// </summary>
/// <remarks>
/// <para>Per step (<see cref="BeginStep"/>, <see cref="PrepareStep"/>): each objective's mean reward over the whole batch is
/// kept for weightings that read <see cref="WeightingInputs.Rewards"/>, and a stateful weighting observes it once
/// (<see cref="IWeighting.Observe"/>; its state is then checked identical on every rank). The advantages are prepared
/// once for the step: normalised per objective over the whole batch when the method asks for it (GDPO), then whitened when the
/// options ask for it: the scalarised advantage <c>Σ_i w_i A^i</c> for weights known before the step (a weighting that reads
/// neither statistics nor a Gramian, e.g. MORLHF's preferences), each objective otherwise. All sums are over the process group.</para>
/// <para>Per update (<see cref="Combine"/>): (1) flat objectives, zero on every token of every rank
/// (<see cref="FlatObjectives"/>); (2) the inputs the weighting reads, each over the whole minibatch: the statistics
/// <c>a_i = Σ_t A^i_t 1[u_t ≤ 1+ε] / Σ_t mask</c> of the prepared advantages (Noon-clipped for PAMA; per row for finer
/// granularities), the Gramian of the per-objective policy-loss gradients over <see cref="IMultiObjectiveMethod.GramianSource"/>,
/// the step's mean rewards; (3) the weights, over the objectives that are not flat for a weighting that reads statistics or a
/// Gramian (a flat objective's zero gradient would be the min-norm point), scattered back with 0 for the flat ones;
/// (4) <c>Σ_i c_i A^i</c>; (5) the stationary rules, the same for every method: the policy stays when every objective is flat,
/// when the weighting's optimal value is exactly 0 (PAMA's <c>s* = 0</c>, MGDA's zero min-norm point: Pareto-stationary; per row
/// for finer granularities, when no row moves), or when the combined advantage is zero on every token. A stationary update
/// steps no policy optimizer, so neither momentum nor weight decay moves the policy.</para>
/// <para>A custom loop creates one stage per run, calls <see cref="BeginStep"/> and <see cref="PrepareStep"/> once per step and
/// <see cref="Combine"/> once per update.</para>
/// </remarks>
public sealed class CombineStage
{
    private readonly int _n;
    private readonly IReadOnlyList<string> _names;
    private readonly Parameter[] _gramianParameters;
    private double[]? _meanRewards;

    /// <summary>Creates the stage of <paramref name="method"/> for <paramref name="objectiveCount"/> objectives.</summary>
    /// <param name="method">The method (its weighting is created here, once).</param>
    /// <param name="objectiveCount">Number of objectives <c>n ≥ 1</c>.</param>
    /// <param name="objectiveNames">Names for messages (default <c>objective i</c>).</param>
    /// <param name="trainableParameters">The policy's trainable parameters with their names; required when the weighting reads a
    /// Gramian over parameters (<see cref="GramianSource"/>).</param>
    /// <exception cref="ArgumentException">The method cannot combine that many objectives, reads a Gramian at a finer granularity than
    /// the batch, or its Gramian selects no trainable parameter (the message names the method).</exception>
    public CombineStage(
        IMultiObjectiveMethod method,
        int objectiveCount,
        IReadOnlyList<string>? objectiveNames = null,
        IEnumerable<(string Name, Parameter Parameter)>? trainableParameters = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(objectiveCount);
        Method = method;
        _n = objectiveCount;
        if (objectiveNames is not null && objectiveNames.Count != objectiveCount)
            throw new ArgumentException($"{objectiveNames.Count} names for {objectiveCount} objectives.", nameof(objectiveNames));
        _names = objectiveNames ?? [.. Enumerable.Range(0, objectiveCount).Select(i => $"objective {i}")];
        Weighting = method.CreateWeighting(objectiveCount)
            ?? throw new ArgumentException($"Method {method.Name} created no weighting.", nameof(method));
        if (!Enum.IsDefined(method.Preparation) || !Enum.IsDefined(method.Granularity))
            throw new ArgumentException($"Method {method.Name} has an unknown preparation or granularity.", nameof(method));
        _gramianParameters = [];
        if (ReadsGramian)
        {
            if (method.Granularity != WeightingGranularity.Batch)
                throw new ArgumentException($"Method {method.Name} reads a Gramian, which exists per minibatch only; use batch granularity.", nameof(method));
            GramianSource source = method.GramianSource ?? throw new ArgumentException($"Method {method.Name} has no Gramian source.", nameof(method));
            if (!source.IsLastHiddenState)
            {
                _gramianParameters = [.. (trainableParameters ?? []).Where(p => p.Parameter.requires_grad && source.Selects(p.Name)).Select(p => p.Parameter)];
                if (_gramianParameters.Length == 0)
                    throw new ArgumentException($"Method {method.Name} reads the Gramian over {source}, which holds no trainable parameter.", nameof(method));
            }
        }
    }

    /// <summary>The method.</summary>
    public IMultiObjectiveMethod Method { get; }

    /// <summary>The method's weighting for this run (its state, if any, is the run's).</summary>
    public IWeighting Weighting { get; }

    /// <summary>The mean rewards given to the last <see cref="BeginStep"/>, or <c>null</c> before the first step.</summary>
    public IReadOnlyList<double>? MeanRewards => _meanRewards;

    private bool ReadsStatistics => (Weighting.Reads & WeightingInputs.Statistics) != 0;

    /// <summary>Whether the weighting reads a Gramian of the per-objective policy-loss gradients.</summary>
    internal bool ReadsGramian => (Weighting.Reads & WeightingInputs.Gramian) != 0;

    /// <summary>Whether <see cref="Combine"/> reads the current policy (the ratio for statistics, the gradients for a Gramian);
    /// otherwise it reads only the advantages and the mask, and <see cref="MethodInput.NewLogProbs"/> may be any tensor of their shape.</summary>
    internal bool ReadsPolicy => ReadsStatistics || ReadsGramian;

    private bool ReadsRewards => (Weighting.Reads & WeightingInputs.Rewards) != 0;

    /// <summary>Whether the weights are the same for every update of a step (they read neither statistics nor a Gramian).</summary>
    private bool WeightsFixedForStep => !ReadsStatistics && !ReadsGramian;

    /// <summary>
    /// Starts a step: keeps each objective's mean reward over the step's whole batch (all ranks) for the weighting, and advances a
    /// stateful weighting once (<see cref="IWeighting.Observe"/>). Every rank must pass the same values.
    /// </summary>
    /// <param name="meanRewards">One finite mean reward per objective.</param>
    /// <exception cref="ArgumentException">Wrong count or a non-finite reward (named by objective).</exception>
    public void BeginStep(IReadOnlyList<double> meanRewards)
    {
        ArgumentNullException.ThrowIfNull(meanRewards);
        if (meanRewards.Count != _n) throw new ArgumentException($"{meanRewards.Count} mean rewards for {_n} objectives.", nameof(meanRewards));
        for (int i = 0; i < _n; i++)
            if (!double.IsFinite(meanRewards[i]))
                throw new ArgumentException($"The mean reward of '{_names[i]}' is {meanRewards[i]}.", nameof(meanRewards));
        _meanRewards = [.. meanRewards];
        Weighting.Observe(WeightingInput.FromRewards(_meanRewards));
    }

    /// <summary>
    /// Prepares the step's advantages <c>[B, T, n]</c> once, over the whole batch of the group: the method's normalisation
    /// (<see cref="AdvantagePreparation.NormalizePerObjective"/>), then <paramref name="whitening"/>.
    /// </summary>
    /// <param name="advantages">Per-objective advantages of this rank's rows <c>[B, T, n]</c>.</param>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    /// <param name="whitening">The trainer's whitening option.</param>
    /// <param name="group">The process group (whole-batch sums).</param>
    /// <returns>The prepared advantages (the input itself when nothing applies).</returns>
    public Tensor PrepareStep(Tensor advantages, Tensor mask, AdvantageWhitening whitening, IProcessGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(advantages);
        ArgumentNullException.ThrowIfNull(mask);
        group ??= SingleProcessGroup.Instance;
        using var noGrad = no_grad();
        if (Method.Preparation == AdvantagePreparation.NormalizePerObjective)
            advantages = MaskedWhitening.PerObjective(advantages, mask, group);
        if (whitening == AdvantageWhitening.None) return advantages;
        if (!WeightsFixedForStep) return MaskedWhitening.PerObjective(advantages, mask, group);

        // Weights known before the step: whiten the scalarised advantage W = Σ_i w_i A^i (the advantage of the scalarised reward,
        // TRL's whitening) and give every objective W / Σ_i w_i, so that the stage's Σ_i w_i returns exactly the whitened W.
        double[] w = new double[_n];
        Weighting.ComputeWeights(Input(ReadOnlyMemory<double>.Empty, null, Enumerable.Range(0, _n).ToArray()), w);
        RequireFinite(w, "weight");
        double total = w.Sum();
        if (total == 0.0) return advantages;
        Tensor weights = tensor(w, dtype: advantages.dtype, device: advantages.device);
        Tensor combined = MaskedWhitening.PerObjective((advantages * weights).sum(-1, keepdim: true), mask, group);
        using var inverse = (1.0 / total).ToScalar();
        return (combined * inverse).expand(advantages.shape).contiguous();
    }

    /// <summary>Forms the combined advantage for one minibatch update.</summary>
    /// <param name="input">The update's per-objective advantages (prepared by <see cref="PrepareStep"/>) and what else may be read.</param>
    /// <returns>The advantage <c>[b, T]</c> (no gradient), the weights and whether the policy moves; the same on every rank.</returns>
    /// <exception cref="NonFiniteTrainingException">A statistic, Gramian entry or weight was not finite; nothing has changed yet.</exception>
    /// <exception cref="InvalidOperationException">The weighting reads rewards but <see cref="BeginStep"/> was not called.</exception>
    public CombinedAdvantage Combine(MethodInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.ObjectiveCount != _n) throw new ArgumentException($"The input has {input.ObjectiveCount} objectives; the stage has {_n}.", nameof(input));
        if (ReadsRewards && _meanRewards is null)
            throw new InvalidOperationException($"Method {Method.Name} reads the batch's rewards: call {nameof(BeginStep)} once per step first.");
        IProcessGroup group = input.ProcessGroup;
        Tensor advantages = WeightedAdvantages(input.Advantages);

        // (1) Flat on every rank: an objective with a nonzero standard advantage anywhere in the group is not flat.
        bool[] localFlat = FlatObjectives.Find(input.Advantages, input.Mask);
        double[] nonFlatRanks = group.Sum([.. localFlat.Select(f => f ? 0.0 : 1.0)]);
        bool[] flat = [.. nonFlatRanks.Select(v => v == 0.0)];
        int[] flatIndices = [.. Enumerable.Range(0, _n).Where(i => flat[i])];
        IReadOnlyList<int>? flatReport = flatIndices.Length == 0 ? null : flatIndices;
        if (flatIndices.Length == _n)
        {
            using var zero = 0.0.ToScalar();
            return new CombinedAdvantage(advantages.sum(-1).mul(zero), new double[_n], double.NaN, UpdatesPolicy: false, Flat: flatReport, WithoutPositiveAdvantage: [])
            {
                StationaryCause = $"the advantages of {Names(flatIndices)} were zero on every token (their rewards did not vary)",
            };
        }

        int[] active = ReadsStatistics || ReadsGramian ? FlatObjectives.Active(flat) : [.. Enumerable.Range(0, _n)];
        CombinedAdvantage combined = Method.Granularity == WeightingGranularity.Batch
            ? PerBatch(input, advantages, active)
            : PerRow(input, advantages, active);
        return combined with { Flat = flatReport };
    }

    /// <summary>One weight vector for the whole minibatch, from inputs summed over the process group.</summary>
    private CombinedAdvantage PerBatch(MethodInput input, Tensor advantages, int[] active)
    {
        IProcessGroup group = input.ProcessGroup;
        double[]? statistics = null;
        if (ReadsStatistics)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor tokenStatistics = NoonStatisticTensors.PerToken(advantages, input.Ratio(), input.Mask, input.ClipEpsilon);
            double[] sums = group.Sum(Host(NoonStatisticTensors.PerBatchSums(tokenStatistics, input.Mask)));
            statistics = [.. sums[.._n].Select(s => s / Math.Max(sums[_n], 1.0))];
            RequireFinite(statistics, "statistic");
        }
        Matrix<double>? gramian = !ReadsGramian ? null : input.GramianParts?.Finish(group) ?? GramianOf([input]);

        var activeWeights = new double[active.Length];
        double value = Weighting.ComputeWeights(Input(statistics ?? ReadOnlyMemory<double>.Empty, gramian, active), activeWeights);
        RequireFinite(activeWeights, "weight");
        var weights = new double[_n];
        for (int k = 0; k < active.Length; k++) weights[active[k]] = activeWeights[k];

        Tensor combinedAdvantage;
        double combinedNonzero;
        using (no_grad())
        {
            combinedAdvantage = (advantages * tensor(weights, dtype: advantages.dtype, device: advantages.device)).sum(-1);
            combinedNonzero = value == 0.0 ? 0.0 : group.Sum(NonzeroTokens(combinedAdvantage, input.Mask))[0];
        }

        string? cause = null;
        int[]? withoutPositive = null;
        if (value == 0.0)
        {
            withoutPositive = statistics is null ? [] : [.. active.Where(i => statistics[i] == 0.0)];
            cause = withoutPositive.Length > 0 ? $"{ValueName} = 0: {WithoutSignal(withoutPositive)}"
                : ReadsGramian ? $"{ValueName} = 0: the per-objective gradients over {Method.GramianSource} cancel (Pareto-stationary)"
                : $"{ValueName} = 0 (Pareto-stationary)";
        }
        else if (combinedNonzero == 0.0)
        {
            withoutPositive = [];
            cause = "the combined advantage was zero on every token (the weight lay on objectives without signal)";
        }
        return new CombinedAdvantage(combinedAdvantage, weights, value, cause is null, WithoutPositiveAdvantage: withoutPositive)
        {
            Statistics = statistics,
            StationaryCause = cause,
        };
    }

    /// <summary>
    /// One weight vector per row (response or token) from that row's statistics (rows are local to a rank); the reported means,
    /// the "policy moves" flag and the finiteness check are summed over the process group so that every rank decides alike.
    /// </summary>
    private CombinedAdvantage PerRow(MethodInput input, Tensor advantages, int[] active)
    {
        IProcessGroup group = input.ProcessGroup;
        int n = _n;
        double[] both;
        long[] weightShape;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            Tensor tokenStatistics = NoonStatisticTensors.PerToken(advantages, input.Ratio(), input.Mask, input.ClipEpsilon);
            using var zero = 0.0.ToScalar();
            (Tensor rowStatistics, Tensor real) = Method.Granularity == WeightingGranularity.Sequence
                ? (NoonStatisticTensors.PerSequence(tokenStatistics, input.Mask), input.Mask.sum(1).gt(zero))
                : (tokenStatistics.reshape(-1, n), input.Mask.reshape(-1).gt(zero));
            weightShape = Method.Granularity == WeightingGranularity.Sequence ? [advantages.shape[0], 1, n] : [advantages.shape[0], advantages.shape[1], n];
            // One copy to the host: the statistics with each row's real flag as an extra column (empty when this rank holds no row).
            both = Host(cat([rowStatistics.reshape(-1, n), real.to(ScalarType.Float64).unsqueeze(1)], 1));
        }
        int rows = both.Length / (n + 1);
        if (group.Sum(both.Count(v => !double.IsFinite(v)))[0] > 0)
            throw new NonFiniteTrainingException($"A statistic of {Method.Name} is not finite (advantages overflowed); the update was refused and no parameter changed.");

        int k = active.Length;
        var rowStatistic = new double[k];
        var rowActiveWeights = new double[k];
        var rowWeights = new double[rows * n];
        // [Σ weights (n), Σ optimal values, real rows, rows that move the policy, Σ statistics (n), non-finite weights], over the group.
        var totals = new double[2 * n + 4];
        for (int r = 0; r < rows; r++)
        {
            if (both[r * (n + 1) + n] == 0.0) continue;   // a padded row: no token, no weight
            for (int j = 0; j < k; j++) rowStatistic[j] = both[r * (n + 1) + active[j]];
            double value = Weighting.ComputeWeights(Input(ReadsStatistics ? rowStatistic : ReadOnlyMemory<double>.Empty, null, active), rowActiveWeights);
            totals[n + 1]++;
            if (!double.IsNaN(value)) totals[n] += value;
            if (value != 0.0) totals[n + 2]++;
            for (int j = 0; j < k; j++)
            {
                if (!double.IsFinite(rowActiveWeights[j])) totals[2 * n + 3]++;
                rowWeights[r * n + active[j]] = rowActiveWeights[j];
            }
            for (int i = 0; i < n; i++)
            {
                totals[i] += rowWeights[r * n + i];
                totals[n + 3 + i] += both[r * (n + 1) + i];
            }
        }
        totals = group.Sum(totals);
        if (totals[2 * n + 3] > 0)
            throw new NonFiniteTrainingException($"{Method.Name} gave a non-finite weight; the update was refused and no parameter changed.");
        double realRows = totals[n + 1];
        bool updates = totals[n + 2] > 0;
        double meanValue = realRows > 0 ? totals[n] / realRows : 0;
        double[] meanWeights = [.. totals[..n].Select(t => realRows > 0 ? t / realRows : 0)];
        double[] meanStatistics = [.. totals[(n + 3)..(2 * n + 3)].Select(t => realRows > 0 ? t / realRows : 0)];

        Tensor combinedAdvantage;
        using (no_grad())
            combinedAdvantage = (advantages * tensor(rowWeights, dtype: advantages.dtype, device: advantages.device).reshape(weightShape)).sum(-1);
        string? cause = null;
        int[]? withoutPositive = null;
        if (!updates)
        {
            // No row moves: name the objectives that had no signal in any row; otherwise each row lacked a different one.
            withoutPositive = [.. active.Where(i => totals[n + 3 + i] == 0.0)];
            string level = Method.Granularity == WeightingGranularity.Sequence ? "response" : "response token";
            cause = withoutPositive.Length > 0 ? $"{ValueName} = 0 in every {level}: {WithoutSignal(withoutPositive)} in any {level}"
                : $"{ValueName} = 0 in every {level}: each {level} had some objective {(Method.Preparation == AdvantagePreparation.NoonClip ? "without a positive unclipped advantage" : "with a zero statistic")}, not the same one in all";
        }
        return new CombinedAdvantage(combinedAdvantage, meanWeights, ReadsStatistics ? meanValue : double.NaN, updates, rowWeights,
            WithoutPositiveAdvantage: withoutPositive)
        {
            Statistics = ReadsStatistics ? meanStatistics : null,
            StationaryCause = cause,
        };
    }

    /// <summary>The advantages the weights multiply: detached, Noon-clipped for a method that asks for it.</summary>
    private Tensor WeightedAdvantages(Tensor advantages)
    {
        Tensor detached = advantages.detach();
        return Method.Preparation == AdvantagePreparation.NoonClip ? NoonStatisticTensors.Clip(detached) : detached;
    }

    /// <summary>The Gramian of one update whose rows are all in <paramref name="parts"/> (one part, or a minibatch's micro-batches).</summary>
    private Matrix<double> GramianOf(IEnumerable<MethodInput> parts)
    {
        using GramianSum sum = BeginGramian();
        IProcessGroup? group = null;
        foreach (MethodInput part in parts)
        {
            sum.Add(part);
            group = part.ProcessGroup;
        }
        return sum.Finish(group ?? SingleProcessGroup.Instance);
    }

    /// <summary>Starts the Gramian of a minibatch whose micro-batches are forwarded one at a time (<see cref="GramianSum.Add"/>).</summary>
    internal GramianSum BeginGramian() => new(this);

    /// <summary>
    /// The Gramian <c>G_ij = ⟨∇L^i, ∇L^j⟩</c> of the per-objective clipped-surrogate losses on the prepared advantages, float64,
    /// over the whole minibatch of the group, formed as <see cref="MultiObjectiveBackward"/> forms it, one part (a rank's rows, a
    /// micro-batch of them) at a time. Each part differentiates its term <c>share_p L^i_p</c> of the loss over all the minibatch's
    /// tokens. Over the last hidden states each part's states are its own, so the minibatch's Gramian is the sum of the parts'
    /// Gramians; over parameters the parts share the parameters, so the gradients are summed over the parts and the group first
    /// (<c>n</c> gradients of the selected parameters).
    /// </summary>
    internal sealed class GramianSum(CombineStage stage) : IDisposable
    {
        private readonly bool _hidden = stage.Method.GramianSource.IsLastHiddenState;
        private Tensor[][]? _gradients;
        private Tensor? _gramian;

        /// <summary>Adds one part's gradients (its forward pass with gradients in <paramref name="part"/>; the graph is kept).</summary>
        public void Add(MethodInput part)
        {
            using var scope = NewDisposeScope();
            int n = stage._n;
            Tensor advantages = stage.WeightedAdvantages(part.Advantages);
            Tensor[] inputs = _hidden ? [part.LastHiddenState] : [.. stage._gramianParameters];
            using var share = part.TokenShare.ToScalar();
            bool scaled = part.ProcessGroup.Size > 1 || part.TokenShare != 1.0;
            var gradients = new Tensor[n][];
            for (int i = 0; i < n; i++)
            {
                Tensor loss = PpoLosses.ClippedSurrogate(part.NewLogProbs, part.OldLogProbs, advantages.select(-1, i), part.Mask, part.ClipEpsilon);
                gradients[i] = MultiObjectiveBackward.Gradients(scaled ? loss.mul(share) : loss, inputs, retainGraph: true);
            }
            if (_hidden)
            {
                // Summed on the device: one host read for the whole minibatch, in Finish.
                Tensor gramian = MultiObjectiveBackward.GramianOnDevice(gradients);
                if (_gramian is null) _gramian = gramian.DetachFromDisposeScope();
                else _gramian.PlusInPlace(gramian);
                return;
            }
            if (_gradients is null)
            {
                foreach (Tensor g in gradients.SelectMany(g => g)) g.DetachFromDisposeScope();
                _gradients = gradients;
                return;
            }
            for (int i = 0; i < n; i++)
                for (int k = 0; k < gradients[i].Length; k++) _gradients[i][k].PlusInPlace(gradients[i][k]);
        }

        /// <summary>The Gramian over every part added on every rank of <paramref name="group"/>.</summary>
        public Matrix<double> Finish(IProcessGroup group)
        {
            int n = stage._n;
            if (!_hidden)
            {
                if (_gradients is null) throw new InvalidOperationException("No part was added to the Gramian.");
                if (group.Size > 1)
                {
                    Tensor[] unsummed = [.. _gradients.SelectMany(g => g)];
                    MultiObjectiveBackward.SumOverGroup(_gradients, group);
                    foreach (Tensor g in unsummed) g.Dispose();
                    foreach (Tensor g in _gradients.SelectMany(g => g)) g.DetachFromDisposeScope();
                }
                return Checked(() => MultiObjectiveBackward.Gramian(_gradients, "trainable parameter"));
            }
            Matrix<double> local = _gramian is null ? Matrix<double>.Build.Dense(n, n) : Checked(() => MultiObjectiveBackward.Gramian(_gramian, n, i =>
                throw new ArgumentException($"The gradient of objective {i} with respect to the last hidden states is not finite (NaN or infinite).", "losses")));
            if (group.Size == 1) return local;
            double[] summed = group.Sum(local.ToRowMajorArray());
            if (summed.Any(v => !double.IsFinite(v)))
                throw new NonFiniteTrainingException($"{stage.Method.Name}: the Gramian summed over the ranks overflows float64. The update was refused and no parameter changed.");
            return Matrix<double>.Build.Dense(n, n, (r, c) => summed[r * n + c]);
        }

        private Matrix<double> Checked(Func<Matrix<double>> gramian)
        {
            try { return gramian(); }
            catch (ArgumentException e)
            {
                throw new NonFiniteTrainingException($"{stage.Method.Name}: {e.Message} The update was refused and no parameter changed.");
            }
        }

        /// <summary>Frees the summed gradients.</summary>
        public void Dispose()
        {
            _gramian?.Dispose();
            _gramian = null;
            if (_gradients is null) return;
            foreach (Tensor g in _gradients.SelectMany(g => g)) g.Dispose();
            _gradients = null;
        }
    }

    /// <summary>The weighting's input restricted to the objectives in <paramref name="active"/>.</summary>
    private WeightingInput Input(ReadOnlyMemory<double> statistics, Matrix<double>? gramian, int[] active)
    {
        bool all = active.Length == _n;
        ReadOnlyMemory<double> s = statistics.IsEmpty || all || statistics.Length == active.Length ? statistics : Select(statistics.Span, active);
        Matrix<double>? g = gramian is null || all ? gramian : Matrix<double>.Build.Dense(active.Length, active.Length, (r, c) => gramian[active[r], active[c]]);
        ReadOnlyMemory<double> rewards = ReadsRewards && _meanRewards is not null ? (all ? _meanRewards : Select(_meanRewards, active)) : ReadOnlyMemory<double>.Empty;
        return s.IsEmpty && g is null && rewards.IsEmpty ? WeightingInput.FromObjectiveCount(active.Length) : WeightingInput.Create(s, g, rewards);
    }

    private static double[] Select(ReadOnlySpan<double> values, int[] indices)
    {
        var selected = new double[indices.Length];
        for (int k = 0; k < indices.Length; k++) selected[k] = values[indices[k]];
        return selected;
    }

    /// <summary>Name of the weighting's optimal value in messages: PAMA's <c>s*</c> when it reads statistics.</summary>
    private string ValueName => ReadsStatistics ? "s*" : "the optimal value";

    private string WithoutSignal(int[] objectives) => Method.Preparation == AdvantagePreparation.NoonClip
        ? $"no positive unclipped advantage for {Names(objectives)}"
        : $"a zero statistic for {Names(objectives)}";

    private string Names(IEnumerable<int> objectives) => string.Join(", ", objectives.Select(i => $"'{_names[i]}'"));

    private void RequireFinite(double[] values, string what)
    {
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new NonFiniteTrainingException(
                    $"{Method.Name}: a {what} is {values[i]} (advantages or gradients overflowed); the update was refused and no parameter changed.");
    }

    /// <summary>Number of masked tokens whose combined advantage is nonzero (one host copy).</summary>
    private static double NonzeroTokens(Tensor combined, Tensor mask)
    {
        using var zero = 0.0.ToScalar();
        using Tensor count = combined.ne(zero).logical_and(mask.gt(zero)).sum().to(ScalarType.Float64);
        return HostReads.Double(count);
    }

    /// <summary>A small tensor's values on the host, float64 (empty for a zero-length tensor).</summary>
    private static double[] Host(Tensor values) =>
        HostReads.Doubles(values);
}
