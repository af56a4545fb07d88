using Pama.TorchSharp.Tensors;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Distributed;

/// <summary>
/// Sums parameter gradients over a process group in one collective: every gradient is flattened into one float64 host
/// buffer, summed, and written back in its own type and device. The losses were already scaled by each rank's token share,
/// so the sum is the gradient of the mean over all ranks' tokens.
/// </summary>
/// <remarks>On a GPU this passes through the host (one copy each way per update); with LoRA the buffer is small.</remarks>
public static class GradientAllReduce
{
    /// <summary>Replaces every gradient of <paramref name="parameters"/> with its sum over <paramref name="group"/>.</summary>
    /// <param name="group">The processes; nothing happens for a group of one.</param>
    /// <param name="parameters">Parameters in the same order on every rank; a missing gradient counts as zero (and is created).</param>
    public static void Sum(IProcessGroup group, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameters);
        if (group.Size == 1 || parameters.Count == 0) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = new Tensor[parameters.Count];
        for (int k = 0; k < parameters.Count; k++)
        {
            Parameter p = parameters[k];
            Tensor gradient = p.grad ?? zeros_like(p);
            flat[k] = gradient.detach().reshape(-1).to(ScalarType.Float64);
        }
        double[] buffer = HostReads.Doubles(cat(flat));   // one transfer for every gradient
        group.AllReduceSum(buffer);
        Tensor summed = tensor(buffer, ScalarType.Float64);
        long offset = 0;
        foreach (Parameter p in parameters)
        {
            long count = p.numel();
            Tensor slice = summed.narrow(0, offset, count).reshape(p.shape).to(p.dtype, p.device);
            if (p.grad is null) p.grad = slice.clone().DetachFromDisposeScope();
            else p.grad.copy_(slice);
            offset += count;
        }
    }
}
