namespace Pama.TorchSharp.Models;

/// <summary>
/// Settings of a new LoRA adapter (Hu et al., 2021), named as PEFT's <c>LoraConfig</c> names them.
/// </summary>
/// <remarks>
/// A wrapped layer computes <c>y = W x + b + s · B A dropout(x)</c> with rank <see cref="Rank"/> <c>r</c> and
/// scale <c>s = α / r</c>, or <c>α / √r</c> with <see cref="UseRsLora"/> (Kalajdzievski, 2023, "A Rank
/// Stabilization Scaling Factor for Fine-Tuning with LoRA").
/// </remarks>
public sealed record LoraOptions
{
    /// <summary>
    /// The paper's setting for its LLaMA-2 7B run (He and Maghsudi, 2025): rank 64, α 128, dropout 0.05 on the
    /// attention projections <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>, <c>o_proj</c> of a Llama-family model.
    /// For GPT-2 use <c>Paper with { TargetModules = ["c_attn", "c_proj"] }</c>, or <c>Paper with { TargetModules = [] }</c> for
    /// each family's PEFT default.
    /// </summary>
    public static LoraOptions Paper { get; } = new()
    {
        Rank = 64,
        Alpha = 128,
        Dropout = 0.05,
        TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj"],
    };

    /// <summary>Rank <c>r</c> of the update <c>B A</c> (PEFT's <c>r</c>; default 8).</summary>
    public int Rank { get; init; } = 8;

    /// <summary>Scaling numerator <c>α</c> (PEFT's <c>lora_alpha</c>; default 8).</summary>
    public double Alpha { get; init; } = 8;

    /// <summary>Dropout probability on the adapter's input, in training mode only (PEFT's <c>lora_dropout</c>; default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Layers to wrap, chosen as PEFT's <c>target_modules</c> list chooses them: a layer is wrapped when its name equals
    /// an entry or ends with <c>"." + entry</c> (e.g. <c>q_proj</c>, <c>v_proj</c>, or GPT-2's <c>c_attn</c>). Every entry must match
    /// at least one linear layer of the model. Empty (the default) means the model family's PEFT default
    /// (<see cref="CausalLanguageModel.DefaultLoraTargetModules"/>: <c>c_attn</c> for GPT-2, <c>q_proj</c> and <c>v_proj</c>
    /// for Llama, Mistral and Qwen2), as PEFT's <c>LoraConfig</c> without <c>target_modules</c>.
    /// </summary>
    public IReadOnlyList<string> TargetModules { get; init; } = [];

    /// <summary>Scale <c>α / √r</c> instead of <c>α / r</c> (PEFT's <c>use_rslora</c>; default false).</summary>
    public bool UseRsLora { get; init; }

    /// <summary>Seed of the initialisation when <see cref="LoraAdapter.Apply"/> is given no generator (default 0).</summary>
    public long Seed { get; init; }

    /// <summary>Scale of the update for rank <paramref name="rank"/> and <paramref name="alpha"/>: <c>α / r</c>, or <c>α / √r</c> with rsLoRA.</summary>
    internal static double ScaleOf(double alpha, int rank, bool useRsLora) => useRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the parameter name is the property's name.</exception>
    public void Validate()
    {
        if (Rank < 1) throw new ArgumentException($"{nameof(Rank)} must be at least 1, got {Rank}.", nameof(Rank));
        if (!double.IsFinite(Alpha) || Alpha <= 0) throw new ArgumentException($"{nameof(Alpha)} must be finite and positive, got {Alpha}.", nameof(Alpha));
        if (!double.IsFinite(Dropout) || Dropout < 0 || Dropout >= 1)
            throw new ArgumentException($"{nameof(Dropout)} must lie in [0, 1), got {Dropout}.", nameof(Dropout));
        if (TargetModules is null)
            throw new ArgumentException($"{nameof(TargetModules)} must be a list (empty for the model family's default).", nameof(TargetModules));
        foreach (string name in TargetModules)
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"{nameof(TargetModules)} holds an empty name.", nameof(TargetModules));
    }
}
