using MathNet.Numerics.LinearAlgebra;
using Pama.TorchSharp.Distributed;
using Pama.Weightings;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// MGDA-UB (Sener and Koltun, "Multi-Task Learning as Multi-Objective Optimization", NeurIPS 2018),
/// the paper's gradient-based baseline. For each objective the PPO loss <c>L^i</c> is formed on its
/// <b>standard</b> advantages <c>A'^i</c> (negatives kept, as in MGDA-UB applied to ordinary PPO losses; Noon
/// clipping is PAMA's ingredient, not the baseline's). Its gradient <c>g_i = ∂L^i/∂Z</c> with respect to
/// the last hidden states <c>Z</c> (not all parameters) gives the Gramian <c>G_ij = ⟨g_i, g_j⟩</c> (float64),
/// whose min-norm weights <c>c = argmin_{c ∈ Δ} cᵀGc</c> (<see cref="MgdaWeighting"/>) form the advantage
/// <c>Σ_i c_i A'^i_t</c>; one weighted backward follows. Costs n extra backward passes through the LM head.
/// Objectives with a zero advantage on every token (<see cref="FlatObjectives"/>) get weight 0 and the
/// min-norm point is taken over the others, as in <see cref="PamaMethod"/>.
/// </summary>
public sealed class MgdaUbMethod : IMultiObjectiveMethod
{
    private readonly MgdaWeighting _weighting;

    /// <summary>MGDA-UB with the given Frank-Wolfe stopping controls (defaults if <c>null</c>; only used for n &gt; 2).</summary>
    public MgdaUbMethod(MgdaOptions? options = null) => _weighting = new MgdaWeighting(options);

    /// <inheritdoc />
    public string Name => "MGDA-UB";

    /// <inheritdoc />
    public CombinedAdvantage Combine(MethodInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int n = input.ObjectiveCount;
        // Flat on every rank of a data-parallel group (the Gramian is summed over the group too).
        bool[] localFlat = FlatObjectives.Find(input.Advantages, input.Mask);
        double[] nonFlatRanks = input.ProcessGroup.Sum([.. localFlat.Select(f => f ? 0.0 : 1.0)]);
        bool[] flat = [.. nonFlatRanks.Select(v => v == 0.0)];
        int[] active = FlatObjectives.Active(flat);
        Matrix<double> gramian = Gramian(input);
        // A flat objective's gradient is exactly zero, so its Gramian row would make the zero vector the min-norm
        // point; the weights are solved over the other objectives (FlatObjectives).
        Matrix<double> activeGramian = active.Length == n ? gramian : Matrix<double>.Build.Dense(active.Length, active.Length,
            (r, c) => gramian[active[r], active[c]]);
        var activeWeights = new double[active.Length];
        _weighting.ComputeWeights(WeightingInput.FromGramian(activeGramian), activeWeights);
        var weights = new double[n];
        for (int k = 0; k < active.Length; k++) weights[active[k]] = activeWeights[k];
        int[] flatIndices = [.. Enumerable.Range(0, n).Where(i => flat[i])];
        return CombinedAdvantage.Weighted(input.Advantages, weights) with { Flat = flatIndices.Length == 0 ? null : flatIndices };
    }

    /// <summary>The Gramian of the per-objective loss gradients with respect to the last hidden states, float64 <c>[n, n]</c>.</summary>
    internal static Matrix<double> Gramian(MethodInput input)
    {
        using var scope = NewDisposeScope();
        int n = input.ObjectiveCount;
        var gradients = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            Tensor loss = PpoLosses.ClippedSurrogate(input.NewLogProbs, input.OldLogProbs, input.Advantages.select(-1, i), input.Mask, input.ClipEpsilon);
            Tensor gradient = autograd.grad([loss], [input.LastHiddenState], retain_graph: true)[0];
            gradients[i] = gradient.detach().reshape(-1).to(ScalarType.Float64);
        }
        Tensor stacked = stack(gradients);
        // Data parallelism: the loss over all ranks' tokens is Σ_r share_r L^i_r and each rank's hidden states are its own,
        // so the Gramian of the whole minibatch is Σ_r share_r² G_r.
        double[] flat = stacked.matmul(stacked.t()).cpu().data<double>().ToArray();
        double scale = input.TokenShare * input.TokenShare;
        for (int k = 0; k < flat.Length; k++) flat[k] *= scale;
        flat = input.ProcessGroup.Sum(flat);
        var gramian = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                gramian[i, j] = flat[i * n + j];
                if (!double.IsFinite(gramian[i, j]))
                    throw new NonFiniteTrainingException($"MGDA-UB Gramian entry ({i}, {j}) is {gramian[i, j]}; the update was refused and no parameter changed.");
            }
        return gramian;
    }
}
