using Pama.TorchSharp.Training.Methods;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// A method defined outside the library, to show the seam: a Tchebycheff-style scalarisation that puts all weight
/// on the worst-off objective, the one with the smallest mean advantage over the response tokens (ties: the first).
/// The gradient of <c>max_i (z_i − f_i)</c> is that of the worst-off objective alone.
/// </summary>
internal sealed class TchebycheffMethod : IMultiObjectiveMethod
{
    public string Name => "Tchebycheff";

    public List<double[]> Calls { get; } = [];

    public CombinedAdvantage Combine(MethodInput input)
    {
        using var scope = NewDisposeScope();
        Tensor tokens = input.Mask.sum().ClampMin(1.0);
        double[] means = [.. (input.Advantages * input.Mask.unsqueeze(-1)).sum([0, 1]).div(tokens).to(ScalarType.Float64).cpu().data<double>()];
        int worst = 0;
        for (int i = 1; i < means.Length; i++)
            if (means[i] < means[worst]) worst = i;
        var weights = new double[means.Length];
        weights[worst] = 1.0;
        Calls.Add(weights);
        CombinedAdvantage combined = CombinedAdvantage.Weighted(input.Advantages, weights);
        combined.Advantage.MoveToOuterDisposeScope();
        return combined;
    }
}
