namespace Pama.Weightings;

/// <summary>The parts of <see cref="WeightingInput"/> a <see cref="IWeighting"/> reads (flags).</summary>
[Flags]
public enum WeightingInputs
{
    /// <summary>Only the objective count n.</summary>
    ObjectiveCount = 0,

    /// <summary>One scalar statistic aᵢ per objective (e.g. PAMA's Noon statistic).</summary>
    Statistics = 1,

    /// <summary>The n × n Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ of per-objective gradients.</summary>
    Gramian = 2,

    /// <summary>Each objective's mean reward over the batch.</summary>
    Rewards = 4,
}
