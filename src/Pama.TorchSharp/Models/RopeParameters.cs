using TorchSharp;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Rotary position embedding settings (Su et al., 2021, "RoFormer") of a Llama-family checkpoint, as
/// <c>transformers</c> 5 keeps them in <c>rope_parameters</c> (transformers 4: <c>rope_theta</c> and <c>rope_scaling</c>).
/// </summary>
/// <remarks>
/// The inverse frequencies follow <c>transformers</c>' <c>modeling_rope_utils</c> operation by operation in float32,
/// as it computes them, so that a float64 model reproduces its outputs to rounding:
/// <list type="bullet">
/// <item><c>default</c>: <c>θ^(−2i/d)</c> for <c>i = 0 .. d/2 − 1</c>;</item>
/// <item><c>linear</c>: the default divided by <see cref="Factor"/>;</item>
/// <item><c>dynamic</c> (NTK-aware): for a sequence of <c>L &gt; max_position_embeddings</c> positions the base becomes
/// <c>θ · (f L / max − (f − 1))^(d / (d − 2))</c>;</item>
/// <item><c>llama3</c>: wavelengths <c>2π / ω</c> above <c>original / low_freq_factor</c> are divided by the factor, those below
/// <c>original / high_freq_factor</c> kept, and those between interpolated smoothly.</item>
/// </list>
/// </remarks>
public sealed record RopeParameters
{
    /// <summary>The rotary variants this library computes.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["default", "linear", "dynamic", "llama3"];

    /// <summary><c>rope_type</c> (transformers 4: <c>rope_scaling.type</c>): one of <see cref="SupportedTypes"/>.</summary>
    public string Type { get; init; } = "default";

    /// <summary><c>rope_theta</c>: the base θ of the frequencies.</summary>
    public double Theta { get; init; } = 10000.0;

    /// <summary><c>factor</c>: the context extension factor of <c>linear</c>, <c>dynamic</c> and <c>llama3</c>.</summary>
    public double Factor { get; init; } = 1.0;

    /// <summary><c>low_freq_factor</c> of <c>llama3</c>.</summary>
    public double LowFrequencyFactor { get; init; } = 1.0;

    /// <summary><c>high_freq_factor</c> of <c>llama3</c>.</summary>
    public double HighFrequencyFactor { get; init; } = 4.0;

    /// <summary><c>original_max_position_embeddings</c> of <c>llama3</c>: the pre-training context length.</summary>
    public int? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>The factor <c>transformers</c> multiplies cos and sin by; 1 for every supported variant.</summary>
    public double AttentionScaling => 1.0;

    /// <summary>
    /// The inverse frequencies <c>ω_i</c>, float32 <c>[dim / 2]</c>, on the CPU.
    /// </summary>
    /// <param name="dim">Rotary dimension (the head dimension); even.</param>
    /// <param name="maxPositionEmbeddings"><c>max_position_embeddings</c> of the config.</param>
    /// <param name="sequenceLength">Largest position plus one of the current call; only <c>dynamic</c> uses it.</param>
    public Tensor InverseFrequencies(int dim, int maxPositionEmbeddings, long sequenceLength = 0)
    {
        using var scope = NewDisposeScope();
        Tensor exponent;
        using (Scalar zero = 0.ToScalar(), end = dim.ToScalar(), two = 2.ToScalar())
            exponent = arange(zero, end, two, ScalarType.Int64).to_type(ScalarType.Float32).DividedBy(dim);
        Tensor inverse;
        switch (Type)
        {
            case "default":
                inverse = Frequencies(tensor((float)Theta), exponent);
                break;
            case "linear":
                inverse = Frequencies(tensor((float)Theta), exponent).DividedBy(Factor);
                break;
            case "dynamic":
                if (sequenceLength <= maxPositionEmbeddings)
                {
                    inverse = Frequencies(tensor((float)Theta), exponent);
                    break;
                }
                // transformers computes the new base from a tensor sequence length, hence in float32.
                Tensor length = tensor(sequenceLength, ScalarType.Int64).to_type(ScalarType.Float32);
                Tensor scaled = length.Times(Factor).DividedBy(maxPositionEmbeddings).Minus(Factor - 1).Pow((double)dim / (dim - 2)).Times(Theta);
                inverse = Frequencies(scaled, exponent);
                break;
            case "llama3":
                inverse = Llama3(Frequencies(tensor((float)Theta), exponent), OriginalMaxPositionEmbeddings ?? maxPositionEmbeddings);
                break;
            default:
                throw new NotSupportedException($"rope_type '{Type}' is not supported (supported: {string.Join(", ", SupportedTypes)}).");
        }
        return inverse.MoveToOuterDisposeScope();
    }

    /// <summary><c>1 / base^exponent</c>; Python's <c>1.0 / t</c> is <c>t.reciprocal() * 1.0</c>.</summary>
    private static Tensor Frequencies(Tensor @base, Tensor exponent) => @base.pow(exponent).reciprocal();

    private Tensor Llama3(Tensor inverse, int originalContext)
    {
        double lowWavelength = originalContext / LowFrequencyFactor;
        double highWavelength = originalContext / HighFrequencyFactor;
        Tensor wavelength = inverse.reciprocal().Times(2 * Math.PI);
        Tensor scaled = where(wavelength.Gt(lowWavelength), inverse.DividedBy(Factor), inverse);
        Tensor smooth = wavelength.reciprocal().Times(originalContext).Minus(LowFrequencyFactor).DividedBy(HighFrequencyFactor - LowFrequencyFactor);
        Tensor smoothed = smooth.neg().Plus(1.0).mul(scaled).DividedBy(Factor).Plus(smooth.mul(scaled));
        Tensor medium = wavelength.Lt(highWavelength).logical_not().logical_and(wavelength.Gt(lowWavelength).logical_not());
        return where(medium, smoothed, scaled);
    }
}
