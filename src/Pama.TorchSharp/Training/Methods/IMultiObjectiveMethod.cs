namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// The single seam between methods: turns per-objective advantages into the one advantage of the
/// clipped-surrogate loss. Adding a method (e.g. Tchebycheff scalarisation or PCGrad) is one new file.
/// Called once per minibatch update, after the policy's forward pass and before the one backward.
/// </summary>
internal interface IMultiObjectiveMethod
{
    /// <summary>Forms the combined advantage for one minibatch update.</summary>
    CombinedAdvantage Combine(MethodInput input);
}
