using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>Clips gradients and refuses non-finite ones before any optimizer step.</summary>
public static class GradientGuard
{
    /// <summary>
    /// Clips the global L2 norm of each group's gradients to <paramref name="maxNorm"/>. If any group's norm
    /// (hence some gradient) is NaN or infinite, zeroes the gradients of every group and throws.
    /// </summary>
    /// <exception cref="NonFiniteTrainingException">Some gradient is not finite.</exception>
    /// <param name="maxNorm">Largest global L2 norm per group.</param>
    /// <param name="groups">Named parameter groups (e.g. "policy" and "value-head"); the name appears in the exception.</param>
    public static void ClipOrRefuse(double maxNorm, params (string Name, IReadOnlyList<Parameter> Parameters)[] groups)
    {
        foreach (var (name, parameters) in groups)
        {
            double norm = nn.utils.clip_grad_norm_(parameters, maxNorm);
            if (double.IsFinite(norm)) continue;
            foreach (var (_, all) in groups) ZeroGradients(all);
            throw new NonFiniteTrainingException($"The {name} gradient norm is {norm}; the update was refused and no parameter changed.");
        }
    }

    private static void ZeroGradients(IEnumerable<Parameter> parameters)
    {
        using var noGrad = no_grad();
        foreach (Parameter p in parameters) p.grad?.zero_();
    }
}
