namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// The one seam between multi-objective methods and PPO: a method turns the per-objective advantages of a
/// minibatch update (and, if it needs them, the ratios, the mask or the last hidden states in
/// <see cref="MethodInput"/>) into ONE advantage and reports the objective weights it used.
/// </summary>
/// <remarks>
/// <para>Implementations in the library: <see cref="PamaMethod"/> (the paper), <see cref="MorlhfMethod"/>
/// (fixed preferences) and <see cref="MgdaUbMethod"/> (min-norm weights of hidden-state gradients). Each
/// obtains its weights from a core <see cref="Pama.Weightings.IWeighting"/>, so a new weighting can be
/// wrapped the same way. Adding a method (e.g. Tchebycheff scalarisation) is one new class; pass an instance
/// as <see cref="PamaTrainerOptions.Method"/>, or call <see cref="Combine"/> from your own loop.</para>
/// <para>Called once per minibatch update, after the policy's forward pass and before the one backward;
/// the ratio <c>u = π_θ/π_old</c> in the input is that of the current policy. Implementations must be
/// deterministic and must not keep tensors of the input beyond the call.</para>
/// </remarks>
public interface IMultiObjectiveMethod
{
    /// <summary>Short display name (e.g. <c>PAMA</c>); also recorded in trainer checkpoints, so a checkpoint
    /// is only loaded by a trainer using a method of the same name.</summary>
    string Name { get; }

    /// <summary>Checks that the method can combine <paramref name="objectiveCount"/> objectives (e.g. that
    /// preference weights have one entry per objective). The trainer calls it when it is created.</summary>
    /// <param name="objectiveCount">Number of objectives <c>n ≥ 1</c>.</param>
    /// <exception cref="ArgumentException">The method cannot combine that many objectives.</exception>
    void Validate(int objectiveCount)
    {
    }

    /// <summary>Forms the combined advantage for one minibatch update.</summary>
    /// <param name="input">Per-objective advantages and what else the method may read.</param>
    /// <returns>The advantage <c>[b, T]</c> (no gradient) and the weights used.</returns>
    /// <exception cref="NonFiniteTrainingException">A statistic or gradient was not finite; nothing has changed yet.</exception>
    CombinedAdvantage Combine(MethodInput input);
}
