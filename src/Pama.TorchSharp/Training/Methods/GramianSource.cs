namespace Pama.TorchSharp.Training.Methods;

/// <summary>
/// Where the trainer takes the gradients <c>g_i = ∇L^i</c> of the per-objective policy losses whose Gramian
/// <c>G_ij = ⟨g_i, g_j⟩</c> a weighting reads: the last hidden states (MGDA-UB, one cheap backward through the head
/// per objective) or a set of the policy's trainable parameters (the gradient aggregators; <c>n</c> backward passes
/// through the model, the gradients summed over the process group).
/// </summary>
public sealed class GramianSource
{
    private readonly Func<string, bool>? _selects;

    private GramianSource(bool hiddenState, Func<string, bool>? selects, string description)
    {
        IsLastHiddenState = hiddenState;
        _selects = selects;
        Description = description;
    }

    /// <summary>Gradients with respect to the policy's last hidden states <c>[b, L, H]</c> (the upper bound of MGDA-UB).</summary>
    public static GramianSource LastHiddenState { get; } = new(true, null, "the last hidden states");

    /// <summary>Gradients with respect to every trainable parameter of the policy (with a LoRA adapter: the adapter).</summary>
    public static GramianSource TrainableParameters { get; } = new(false, null, "the trainable parameters");

    /// <summary>Gradients with respect to the trainable parameters whose name (as in <c>named_parameters()</c>) is selected.</summary>
    /// <param name="selects">True for the parameters to include, e.g. <c>name =&gt; name.StartsWith("transformer.h.1.")</c>.</param>
    /// <param name="description">What the selection is, for messages (e.g. <c>the last block</c>).</param>
    public static GramianSource Parameters(Func<string, bool> selects, string description = "the selected parameters")
    {
        ArgumentNullException.ThrowIfNull(selects);
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        return new GramianSource(false, selects, description);
    }

    /// <summary>Whether the gradients are taken with respect to the last hidden states.</summary>
    public bool IsLastHiddenState { get; }

    /// <summary>What the gradients are taken with respect to, in words.</summary>
    public string Description { get; }

    /// <summary>Whether the trainable parameter <paramref name="name"/> is in the set (always false for hidden states).</summary>
    public bool Selects(string name) => !IsLastHiddenState && (_selects?.Invoke(name) ?? true);

    /// <inheritdoc />
    public override string ToString() => Description;
}
