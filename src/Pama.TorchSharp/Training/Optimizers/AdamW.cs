using Pama.TorchSharp.Tensors;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) that keeps every
/// <see cref="Scalar"/> alive until libtorch has read it: the trainer's default optimizer.
/// For each parameter θ with gradient g at step t (γ the learning rate, λ the weight decay):
/// <c>θ ← θ(1 − γλ)</c>, <c>m ← β₁m + (1 − β₁)g</c>, <c>v ← β₂v + (1 − β₂)g²</c>,
/// <c>θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)</c> (with AMSGrad, <c>v̂ = max(v̂, v)</c> in place of v).
/// </summary>
/// <remarks>
/// <para>The same operations, in the same order, as <c>torch.optim.AdamW</c> (TorchSharp 0.107's
/// <see cref="global::TorchSharp.Modules.AdamW"/>), so the results are bitwise equal to it. It derives from that class and
/// keeps its name, options and state, so its <c>save_state_dict</c>/<c>load_state_dict</c> format is TorchSharp's: state
/// saved by either loads into the other, and trainer checkpoints written with TorchSharp's AdamW still load.</para>
/// <para>Why it exists: TorchSharp 0.107 frees a Scalar in its finalizer and does not keep it alive across a native call,
/// and its AdamW makes about six temporary Scalars per parameter per step. A garbage collection on another thread can
/// free one while libtorch reads it, and the step fails (or reads garbage). Here every Scalar is created explicitly,
/// once per parameter group and step (the bias corrections once per distinct step count), and disposed after the last
/// native call that reads it. The step allocates one tensor per parameter (the denominator), where TorchSharp's
/// allocates two plus the Scalars; gradients' wrappers are disposed at once instead of waiting for a finalizer.</para>
/// <para>See docs/scalar-safety.md for the pitfall and for writing an optimizer factory of your own.</para>
/// </remarks>
public sealed class AdamW : global::TorchSharp.Modules.AdamW
{
    /// <summary>Creates the optimizer over <paramref name="parameters"/>; the arguments mean what they mean for <c>torch.optim.AdamW</c>.</summary>
    /// <param name="parameters">Parameters to optimise.</param>
    /// <param name="lr">Learning rate γ.</param>
    /// <param name="beta1">Decay rate β₁ of the first-moment average.</param>
    /// <param name="beta2">Decay rate β₂ of the second-moment average.</param>
    /// <param name="eps">ε added to the denominator.</param>
    /// <param name="weight_decay">Decoupled weight decay λ.</param>
    /// <param name="amsgrad">Whether to use the AMSGrad variant (the running maximum of the second moment).</param>
    /// <param name="maximize">Whether to maximise the objective instead of minimising it.</param>
    /// <exception cref="ArgumentException">An argument is out of range (TorchSharp's checks).</exception>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, bool amsgrad = false, bool maximize = false)
#pragma warning disable RS0030 // TorchSharp's AdamW is banned for its step, which this class replaces; its constructor is safe.
        : base(parameters, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize)
#pragma warning restore RS0030
    {
    }

    /// <summary>Performs one optimisation step over every parameter that has a gradient.</summary>
    /// <param name="closure">Optional closure that re-evaluates the model and returns the loss.</param>
    /// <returns>The closure's loss, or <c>null</c> without a closure.</returns>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using (enable_grad()) loss = closure();
        }
        using (no_grad())
        {
            foreach (ParamGroup group in _parameter_groups) Step(group);
        }
        return loss!;
    }

    private void Step(ParamGroup group)
    {
        var options = (Options)group.Options;
        double lr = options.LearningRate!.Value;
        double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        double weightDecay = options.weight_decay!.Value;
        bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;

        using Scalar decay = (1 - lr * weightDecay).ToScalar();
        using Scalar beta1Scalar = beta1.ToScalar(), oneMinusBeta1 = (1 - beta1).ToScalar();
        using Scalar beta2Scalar = beta2.ToScalar(), oneMinusBeta2 = (1 - beta2).ToScalar();
        using Scalar eps = options.eps!.Value.ToScalar();
        var corrections = new BiasCorrections(lr, beta1, beta2);
        try
        {
            foreach (Parameter parameter in group.Parameters)
            {
                using Tensor? gradient = parameter.grad;
                if (gradient is null) continue;
                using Tensor? negated = maximize ? gradient.neg() : null;
                Tensor g = negated ?? gradient;
                var state = (State)_state[parameter.Handle];
                state.step++;

                parameter.mul_(decay);
                state.exp_avg.mul_(beta1Scalar).add_(g, oneMinusBeta1);
                state.exp_avg_sq.mul_(beta2Scalar).addcmul_(g, g, oneMinusBeta2);
                if (amsgrad)
                {
                    Tensor previous = state.max_exp_avg_sq;
                    state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                    previous.Dispose();
                }
                var (denominatorScale, stepSize) = corrections.For(state.step);
                using Tensor denominator = (amsgrad ? state.max_exp_avg_sq : state.exp_avg_sq).sqrt();
                denominator.DetachFromDisposeScope();
                denominator.div_(denominatorScale).add_(eps, KeptScalars.One);
                parameter.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }
        finally
        {
            corrections.Dispose();
        }
    }

    /// <summary>
    /// The step-dependent Scalars <c>√(1 − β₂ᵗ)</c> and <c>−γ / (1 − β₁ᵗ)</c>, made once per distinct step count (all
    /// parameters of a group normally share one) and disposed after the group's last parameter.
    /// </summary>
    private sealed class BiasCorrections(double lr, double beta1, double beta2) : IDisposable
    {
        private long _step = -1;
        private Scalar? _denominatorScale, _stepSize;

        public (Scalar DenominatorScale, Scalar StepSize) For(long step)
        {
            if (step != _step)
            {
                Dispose();
                double correction1 = 1 - Math.Pow(beta1, step);
                double correction2 = 1 - Math.Pow(beta2, step);
                _denominatorScale = Math.Sqrt(correction2).ToScalar();
                _stepSize = (-(lr / correction1)).ToScalar();
                _step = step;
            }
            return (_denominatorScale!, _stepSize!);
        }

        public void Dispose()
        {
            _denominatorScale?.Dispose();
            _stepSize?.Dispose();
            _denominatorScale = _stepSize = null;
            _step = -1;
        }
    }
}
