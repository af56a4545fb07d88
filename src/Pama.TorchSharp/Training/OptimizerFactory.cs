using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training;

/// <summary>
/// Creates an optimizer for a trainer's parameter group, e.g.
/// <c>(parameters, learningRate) =&gt; new Optimizers.AdamW(parameters, learningRate, beta2: 0.95, weight_decay: 0.1)</c>.
/// </summary>
/// <remarks>TorchSharp 0.107's built-in optimizers (<c>optim.SGD</c>, <c>optim.AdamW</c>, ...) make temporary Scalars in
/// <c>step</c> that a garbage collection on another thread can free while libtorch reads them; return
/// <see cref="Optimizers.AdamW"/> or an optimizer that keeps every Scalar alive (docs/scalar-safety.md).</remarks>
/// <param name="parameters">The parameters to optimise (the trainable policy parameters, or the value heads).</param>
/// <param name="learningRate">The configured learning rate (<see cref="PamaTrainerOptions.LearningRate"/> or <see cref="PamaTrainerOptions.ValueLearningRate"/>).</param>
/// <returns>A new optimizer over exactly <paramref name="parameters"/>; the trainer owns and disposes it.</returns>
public delegate OptimizerHelper OptimizerFactory(IReadOnlyList<Parameter> parameters, double learningRate);
