using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Creates an optimizer for a trainer's parameter group, e.g.
/// <c>(parameters, learningRate) =&gt; optim.SGD(parameters, learningRate, momentum: 0.9)</c>.
/// </summary>
/// <param name="parameters">The parameters to optimise (the trainable policy parameters, or the value heads).</param>
/// <param name="learningRate">The configured learning rate (<see cref="PamaTrainerOptions.LearningRate"/> or <see cref="PamaTrainerOptions.ValueLearningRate"/>).</param>
/// <returns>A new optimizer over exactly <paramref name="parameters"/>; the trainer owns and disposes it.</returns>
public delegate OptimizerHelper OptimizerFactory(IReadOnlyList<Parameter> parameters, double learningRate);
