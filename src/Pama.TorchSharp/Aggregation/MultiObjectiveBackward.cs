using Pama.TorchSharp.Tensors;
using MathNet.Numerics.LinearAlgebra;
using Pama.TorchSharp.Distributed;
using Pama.Weightings;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Aggregation;

/// <summary>
/// Multi-objective backward for any TorchSharp model (in the spirit of TorchJD's <c>backward</c> and <c>mtl_backward</c>):
/// from n losses, form what the weighting reads (the Gramian of the per-objective gradients, or only n), ask it for the
/// weights wᵢ and add Σᵢ wᵢ ∇Lᵢ to the <c>.grad</c> of the parameters, ready for any optimizer.
/// </summary>
/// <remarks>
/// Gradients are added to <c>.grad</c> (as <c>backward()</c> does), and nothing changes on error. How each entry forms
/// the Gramian, its cost, and data parallelism: docs/aggregators.md, "Using them on any TorchSharp model".
/// </remarks>
public static class MultiObjectiveBackward
{
    /// <summary>Adds Σᵢ wᵢ ∇Lᵢ to the <c>.grad</c> of <paramref name="parameters"/>, with w from the Gramian over the parameters.</summary>
    /// <param name="losses">n ≥ 1 scalar losses of one graph, each requiring gradients and finite.</param>
    /// <param name="parameters">The tensors to update (leaves requiring gradients, e.g. a LoRA adapter's); a parameter an
    /// objective does not use has a zero gradient for it.</param>
    /// <param name="weighting">Any weighting; if it reads the Gramian, Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ over <paramref name="parameters"/>.</param>
    /// <param name="group">The data-parallel group (null: this process alone).</param>
    /// <returns>The weights, the Gramian and the weighting's value.</returns>
    /// <exception cref="ArgumentException">A loss is not a scalar, needs no gradient or is not finite; a parameter is not a
    /// leaf requiring gradients; a gradient is not finite (named by objective and parameter); or the weighting needs
    /// something this entry does not form (statistics, rewards).</exception>
    /// <exception cref="InvalidOperationException">The weighting returned a non-finite weight (named by objective).</exception>
    public static MultiObjectiveBackwardResult Backward(
        IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> parameters, IWeighting weighting, IProcessGroup? group = null)
    {
        CheckArguments(losses, parameters, weighting);
        group ??= SingleProcessGroup.Instance;
        if (!weighting.Reads.HasFlag(WeightingInputs.Gramian))
        {
            return CombinedLossBackward(losses, parameters, weighting, group);
        }

        int n = losses.Count;
        using var scope = NewDisposeScope();
        var gradients = new Tensor[n][];
        for (int i = 0; i < n; i++)
        {
            gradients[i] = Gradients(losses[i], parameters, retainGraph: i < n - 1);
        }

        if (group.Size > 1)
        {
            SumOverGroup(gradients, group);
        }

        Matrix<double> gramian = Gramian(gradients, "parameter");
        var (weights, value) = Weights(weighting, WeightingInput.FromGramian(gramian), n);
        using (no_grad())
        {
            for (int k = 0; k < parameters.Count; k++)
            {
                Tensor combined = zeros(parameters[k].shape, ScalarType.Float64, parameters[k].device);
                for (int i = 0; i < n; i++)
                {
                    using var alpha = weights[i].ToScalar();
                    combined.add_(gradients[i][k].to(ScalarType.Float64), alpha);
                }

                AddToGrad(parameters[k], combined);
            }
        }

        return new MultiObjectiveBackwardResult(weights, gramian, value);
    }

    /// <summary>
    /// Adds Σᵢ wᵢ ∇Lᵢ to the <c>.grad</c> of <paramref name="parameters"/>, with w from the Gramian of the loss gradients
    /// with respect to shared <paramref name="features"/> (MGDA-UB); then one backward of Σᵢ wᵢ Lᵢ.
    /// </summary>
    /// <param name="losses">n ≥ 1 scalar losses computed from <paramref name="features"/>, each requiring gradients and finite.</param>
    /// <param name="features">Intermediate tensors every loss depends on (e.g. the shared trunk's output), in the graph.</param>
    /// <param name="parameters">The tensors to update (leaves requiring gradients): trunk and heads alike.</param>
    /// <param name="weighting">Any weighting; if it reads the Gramian, Gᵢⱼ = ⟨∂Lᵢ/∂Z, ∂Lⱼ/∂Z⟩ over the features Z.</param>
    /// <param name="group">The data-parallel group (null: this process alone).</param>
    /// <returns>The weights, the feature Gramian and the weighting's value.</returns>
    /// <exception cref="ArgumentException">As <see cref="Backward"/>; also when <paramref name="features"/> is empty or a
    /// feature does not require gradients.</exception>
    /// <exception cref="InvalidOperationException">The weighting returned a non-finite weight (named by objective).</exception>
    public static MultiObjectiveBackwardResult BackwardThroughFeatures(
        IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> features, IReadOnlyList<Tensor> parameters, IWeighting weighting,
        IProcessGroup? group = null)
    {
        CheckArguments(losses, parameters, weighting);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Count == 0)
        {
            throw new ArgumentException("At least one feature tensor is required.", nameof(features));
        }

        for (int k = 0; k < features.Count; k++)
        {
            if (features[k] is null || !features[k].requires_grad)
            {
                throw new ArgumentException($"Feature {k} is null or does not require gradients; it must be in the losses' graph.", nameof(features));
            }
        }

        group ??= SingleProcessGroup.Instance;
        if (!weighting.Reads.HasFlag(WeightingInputs.Gramian))
        {
            return CombinedLossBackward(losses, parameters, weighting, group);
        }

        int n = losses.Count;
        Matrix<double> gramian;
        using (var scope = NewDisposeScope())
        {
            var gradients = new Tensor[n][];
            for (int i = 0; i < n; i++)
            {
                gradients[i] = Gradients(losses[i], features, retainGraph: true);
            }

            gramian = Gramian(gradients, "feature");
        }

        if (group.Size > 1)
        {
            double[] flat = new double[n * n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    flat[(i * n) + j] = gramian[i, j];
                }
            }

            group.AllReduceSum(flat);
            gramian = Matrix<double>.Build.Dense(n, n, (i, j) => flat[(i * n) + j]);
        }

        var (weights, value) = Weights(weighting, WeightingInput.FromGramian(gramian), n);
        ApplyCombinedLoss(losses, parameters, weights, group);
        return new MultiObjectiveBackwardResult(weights, gramian, value);
    }

    /// <summary>Weights from the objective count only, then one backward of Σᵢ wᵢ Lᵢ.</summary>
    private static MultiObjectiveBackwardResult CombinedLossBackward(
        IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> parameters, IWeighting weighting, IProcessGroup group)
    {
        var (weights, value) = Weights(weighting, WeightingInput.FromObjectiveCount(losses.Count), losses.Count);
        ApplyCombinedLoss(losses, parameters, weights, group);
        return new MultiObjectiveBackwardResult(weights, null, value);
    }

    /// <summary>∇(Σᵢ wᵢ Lᵢ) over the parameters, summed over the group, added to <c>.grad</c>.</summary>
    private static void ApplyCombinedLoss(IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> parameters, double[] weights, IProcessGroup group)
    {
        using var scope = NewDisposeScope();
        Tensor total = zeros([], losses[0].dtype, losses[0].device);
        for (int i = 0; i < losses.Count; i++)
        {
            using var alpha = weights[i].ToScalar();
            total = total.add(losses[i], alpha);
        }

        var gradient = Gradients(total, parameters, retainGraph: false);
        if (group.Size > 1)
        {
            SumOverGroup([gradient], group);
        }

        for (int k = 0; k < parameters.Count; k++)
        {
            CheckFinite(gradient[k], $"The combined gradient of parameter {k}");
        }

        using (no_grad())
        {
            for (int k = 0; k < parameters.Count; k++)
            {
                AddToGrad(parameters[k], gradient[k]);
            }
        }
    }

    /// <summary>∂loss/∂xₖ for every tensor xₖ (zeros where the loss does not depend on it), detached.</summary>
    internal static Tensor[] Gradients(Tensor loss, IReadOnlyList<Tensor> inputs, bool retainGraph)
    {
        var raw = autograd.grad([loss], [.. inputs], retain_graph: retainGraph, allow_unused: true);
        var result = new Tensor[inputs.Count];
        for (int k = 0; k < inputs.Count; k++)
        {
            if (raw[k].IsInvalid)
            {
                raw[k].Dispose();
                result[k] = zeros_like(inputs[k]);
            }
            else
            {
                result[k] = raw[k].detach();
            }
        }

        return result;
    }

    /// <summary>Gᵢⱼ = Σₖ ⟨gᵢₖ, gⱼₖ⟩ accumulated in float64, one tensor k at a time; non-finite gradients named.</summary>
    internal static Matrix<double> Gramian(Tensor[][] gradients, string kind)
    {
        using var scope = NewDisposeScope();
        return Gramian(GramianOnDevice(gradients), gradients.Length, i =>
        {
            for (int k = 0; k < gradients[i].Length; k++)
            {
                CheckFinite(gradients[i][k], $"The gradient of objective {i} with respect to {kind} {k}");
            }
        });
    }

    /// <summary>Gᵢⱼ = Σₖ ⟨gᵢₖ, gⱼₖ⟩ as a float64 <c>[n, n]</c> tensor on the gradients' device (no host read).</summary>
    internal static Tensor GramianOnDevice(Tensor[][] gradients)
    {
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        for (int k = 0; k < gradients[0].Length; k++)
        {
            Tensor rows = stack(gradients.Select(g => g[k].reshape(-1).to(ScalarType.Float64)).ToArray());
            Tensor block = rows.matmul(rows.t());
            sum = sum is null ? block : sum.PlusInPlace(block);
        }

        return sum!.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The Gramian <paramref name="sum"/> <c>[n, n]</c> on the host (one read), exactly symmetric; <paramref name="nonFiniteGradient"/>
    /// is called for an objective whose diagonal entry is not finite (to name the gradient), then an overflow is refused.
    /// </summary>
    internal static Matrix<double> Gramian(Tensor sum, int n, Action<int> nonFiniteGradient)
    {
        double[] flat = HostReads.Doubles(sum);
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(flat[(i * n) + i]))
            {
                nonFiniteGradient(i);
            }
        }

        var gramian = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                // Both triangles from one entry: exactly symmetric, as the weightings check.
                double value = flat[(i * n) + j];
                if (!double.IsFinite(value))
                {
                    throw new ArgumentException($"Gramian entry ({i}, {j}) overflows float64: the gradients of objectives {i} and {j} are too large.", "losses");
                }

                gramian[i, j] = value;
                gramian[j, i] = value;
            }
        }

        return gramian;
    }

    /// <summary>Replaces every gradient by its sum over the group, through one float64 host buffer.</summary>
    internal static void SumOverGroup(Tensor[][] gradients, IProcessGroup group)
    {
        using var scope = NewDisposeScope();
        double[] buffer = HostReads.Doubles(cat(gradients.SelectMany(g => g).Select(t => t.reshape(-1).to(ScalarType.Float64)).ToArray()));
        group.AllReduceSum(buffer);
        Tensor summed = tensor(buffer, ScalarType.Float64);
        long offset = 0;
        foreach (Tensor[] row in gradients)
        {
            for (int k = 0; k < row.Length; k++)
            {
                long count = row[k].numel();
                Tensor slice = summed.narrow(0, offset, count).reshape(row[k].shape).to(row[k].dtype, row[k].device);
                row[k] = slice.MoveToOuterDisposeScope();
                offset += count;
            }
        }
    }

    /// <summary>Advances a stateful weighting once, then asks for the weights; refuses non-finite weights.</summary>
    private static (double[] Weights, double Value) Weights(IWeighting weighting, WeightingInput input, int n)
    {
        weighting.Observe(input);
        var weights = new double[n];
        double value = weighting.ComputeWeights(input, weights);
        for (int i = 0; i < n; i++)
        {
            if (!double.IsFinite(weights[i]))
            {
                throw new InvalidOperationException($"The weighting returned {weights[i]} for objective {i}; no gradient was changed.");
            }
        }

        return (weights, value);
    }

    private static void AddToGrad(Tensor parameter, Tensor addition)
    {
        Tensor cast = addition.to(parameter.dtype, parameter.device);
        if (parameter.grad is null)
        {
            parameter.grad = cast.clone().DetachFromDisposeScope();
        }
        else
        {
            parameter.grad.PlusInPlace(cast);
        }
    }

    private static void CheckFinite(Tensor tensor, string what)
    {
        using var scope = NewDisposeScope();
        if (!HostReads.Bool(isfinite(tensor).all()))
        {
            throw new ArgumentException($"{what} is not finite (NaN or infinite).", "losses");
        }
    }

    private static void CheckArguments(IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> parameters, IWeighting weighting)
    {
        ArgumentNullException.ThrowIfNull(losses);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(weighting);
        if (losses.Count == 0)
        {
            throw new ArgumentException("At least one loss is required.", nameof(losses));
        }

        if (parameters.Count == 0)
        {
            throw new ArgumentException("At least one parameter is required.", nameof(parameters));
        }

        if ((weighting.Reads & ~WeightingInputs.Gramian) != 0)
        {
            throw new ArgumentException(
                $"The weighting reads {weighting.Reads}; this entry forms only the Gramian (or nothing).", nameof(weighting));
        }

        for (int i = 0; i < losses.Count; i++)
        {
            Tensor loss = losses[i] ?? throw new ArgumentException($"The loss of objective {i} is null.", nameof(losses));
            if (loss.numel() != 1)
            {
                throw new ArgumentException($"The loss of objective {i} has {loss.numel()} elements; a scalar is required.", nameof(losses));
            }

            if (!loss.requires_grad)
            {
                throw new ArgumentException($"The loss of objective {i} does not require gradients.", nameof(losses));
            }

            double value;
            using (NewDisposeScope())
            {
                value = HostReads.Double(loss);
            }

            if (!double.IsFinite(value))
            {
                throw new ArgumentException($"The loss of objective {i} is {value}.", nameof(losses));
            }
        }

        for (int k = 0; k < parameters.Count; k++)
        {
            Tensor p = parameters[k] ?? throw new ArgumentException($"Parameter {k} is null.", nameof(parameters));
            if (!p.requires_grad || !p.is_leaf)
            {
                throw new ArgumentException($"Parameter {k} must be a leaf tensor that requires gradients.", nameof(parameters));
            }
        }
    }
}
