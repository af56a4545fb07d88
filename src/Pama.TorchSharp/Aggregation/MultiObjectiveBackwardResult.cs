using MathNet.Numerics.LinearAlgebra;

namespace Pama.TorchSharp.Aggregation;

/// <summary>What one <see cref="MultiObjectiveBackward"/> call computed, for logging and checks.</summary>
/// <param name="Weights">The weights wᵢ of Σᵢ wᵢ ∇Lᵢ that was added to <c>.grad</c>.</param>
/// <param name="Gramian">The float64 Gramian Gᵢⱼ = ⟨∇Lᵢ, ∇Lⱼ⟩ the weighting read (summed over the process group), or null when the
/// weighting reads no Gramian (no per-objective gradient was formed).</param>
/// <param name="Value">The weighting's optimal value (see <see cref="Pama.Weightings.IWeighting.ComputeWeights"/>), or NaN.</param>
public sealed record MultiObjectiveBackwardResult(IReadOnlyList<double> Weights, Matrix<double>? Gramian, double Value);
