using TorchSharp.Modules;

namespace Pama.TorchSharp.Training;

/// <summary>
/// A learning-rate schedule as a function of the step counter: at step <c>k</c> (0 for the first step) every
/// parameter group runs at its initial learning rate times <see cref="Factor"/>(k). Being a pure function of the
/// step counter, which trainer checkpoints store, the schedule resumes exactly after <see cref="PamaTrainer{TModel}.Load"/>.
/// </summary>
public abstract record LearningRateSchedule
{
    private protected LearningRateSchedule()
    {
    }

    /// <summary>The constant schedule (factor 1).</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>
    /// Linear warm-up from <c>1/(warmupSteps+1)</c> to 1 over the first <paramref name="warmupSteps"/> steps, then linear
    /// decay to 0 at step <paramref name="totalSteps"/> (TRL's and Hugging Face's <c>linear</c> schedule with warm-up).
    /// Steps at or past <paramref name="totalSteps"/> get factor 0.
    /// </summary>
    /// <param name="warmupSteps">Steps of warm-up (≥ 0).</param>
    /// <param name="totalSteps">Length of the run in steps (&gt; <paramref name="warmupSteps"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A step count is out of range.</exception>
    public static LearningRateSchedule LinearWarmupDecay(int warmupSteps, int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        return new LinearWarmupDecaySchedule(warmupSteps, totalSteps);
    }

    /// <summary>The factor of the initial learning rate at step <paramref name="step"/> (0-based); finite and in [0, 1].</summary>
    public abstract double Factor(long step);

    /// <summary>Sets every parameter group of <paramref name="optimizer"/> to its initial learning rate times <see cref="Factor"/>(<paramref name="step"/>).</summary>
    /// <param name="optimizer">The optimizer to adjust.</param>
    /// <param name="step">The step about to run (0-based).</param>
    public void Apply(OptimizerHelper optimizer, long step)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        double factor = Factor(step);
        foreach (ParamGroup group in optimizer.ParamGroups)
            group.LearningRate = group.InitialLearningRate * factor;
    }

    private sealed record ConstantSchedule : LearningRateSchedule
    {
        public override double Factor(long step) => 1.0;
    }

    private sealed record LinearWarmupDecaySchedule(int WarmupSteps, int TotalSteps) : LearningRateSchedule
    {
        public override double Factor(long step)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(step);
            if (step < WarmupSteps) return (step + 1.0) / (WarmupSteps + 1.0);
            return Math.Max(0.0, (double)(TotalSteps - step) / (TotalSteps - WarmupSteps));
        }
    }
}
