using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Training.Ppo;

/// <summary>Clips gradients and refuses non-finite ones before any optimizer step.</summary>
public static class GradientGuard
{
    /// <summary>
    /// Clips the global L2 norm of each group's gradients to <paramref name="maxNorm"/> (as <c>clip_grad_norm_</c> does:
    /// scaled by <c>min(1, maxNorm / (norm + 1e-6))</c>). If any group's norm (hence some gradient) is NaN or infinite,
    /// zeroes the gradients of every group and throws. The norms are computed on the gradients' device and read back
    /// together, once.
    /// </summary>
    /// <exception cref="NonFiniteTrainingException">Some gradient is not finite.</exception>
    /// <param name="maxNorm">Largest global L2 norm per group.</param>
    /// <param name="groups">Named parameter groups (e.g. "policy" and "value-head"); the name appears in the exception.</param>
    public static void ClipOrRefuse(double maxNorm, params (string Name, IReadOnlyList<Parameter> Parameters)[] groups)
    {
        if (groups.Length == 0) return;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var gradients = new Tensor[groups.Length][];
        var norms = new Tensor?[groups.Length];
        Device? device = null;
        for (int g = 0; g < groups.Length; g++)
        {
            gradients[g] = [.. groups[g].Parameters.Select(p => p.grad).OfType<Tensor>()];
            if (gradients[g].Length == 0) continue;
            norms[g] = stack(gradients[g].Select(x => x.norm())).norm();
            device ??= norms[g]!.device;
        }
        if (device is null) return;

        double[] host = HostReads.Doubles(stack(norms.Select(n => n is null ? zeros(1, ScalarType.Float64, device).squeeze(0) : n.to(ScalarType.Float64, device))));
        for (int g = 0; g < groups.Length; g++)
        {
            if (double.IsFinite(host[g])) continue;
            foreach (var (_, all) in groups) ZeroGradients(all);
            throw new NonFiniteTrainingException($"The {groups[g].Name} gradient norm is {host[g]}; the update was refused and no parameter changed.");
        }
        for (int g = 0; g < groups.Length; g++)
        {
            if (norms[g] is not { } norm) continue;
            Tensor coefficient = norm.Plus(1e-6).Into(maxNorm).ClampMax(1.0);
            foreach (Tensor gradient in gradients[g]) gradient.mul_(coefficient.to(gradient.device));
        }
    }

    private static void ZeroGradients(IEnumerable<Parameter> parameters)
    {
        using var noGrad = no_grad();
        foreach (Parameter p in parameters) p.grad?.zero_();
    }
}
