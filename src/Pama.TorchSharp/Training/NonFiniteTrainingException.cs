namespace Pama.TorchSharp.Training;

/// <summary>
/// A loss or gradient of a minibatch update was NaN or infinite. The update was refused before any
/// optimizer step (gradients zeroed), so no non-finite value reached the parameters. Earlier
/// minibatch updates of the same step, which were finite, have been applied.
/// </summary>
public sealed class NonFiniteTrainingException : Exception
{
    /// <summary>Creates the exception with a message describing what was not finite.</summary>
    public NonFiniteTrainingException(string message) : base(message) { }
}
