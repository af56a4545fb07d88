using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// What training and generation need from a causal language model: token ids in, next-token
/// logits and the last hidden states out. Implement it on any <see cref="nn.Module"/>; the
/// trainer and the sampler take <c>TModel : nn.Module, ICausalLanguageModel</c>.
/// </summary>
/// <remarks>
/// The last hidden states are the shared representation on which value heads sit and with
/// respect to which MGDA-UB (Sener and Koltun, 2018) forms its Gramian.
/// </remarks>
public interface ICausalLanguageModel
{
    /// <summary>Number of token ids the model scores (the size of the logits' last dimension).</summary>
    int VocabularySize { get; }

    /// <summary>Width of the last hidden states.</summary>
    int HiddenSize { get; }

    /// <summary>Longest sequence (prompt plus response) the model accepts.</summary>
    int ContextLength { get; }

    /// <summary>Whether <see cref="Forward"/> reads and extends a <see cref="KeyValueCache"/>.</summary>
    bool SupportsKeyValueCache { get; }

    /// <summary>
    /// Whether <see cref="Forward"/> checkpoints each transformer block's activations while gradients are recorded: a block
    /// keeps only its input and recomputes its activations in backward, which trades one more forward pass per block for
    /// activation memory that no longer grows with the number of blocks. Gradients are the same as without it.
    /// </summary>
    /// <exception cref="NotSupportedException">Set on a model that cannot checkpoint (the default implementation).</exception>
    bool ActivationCheckpointing
    {
        get => false;
        set
        {
            if (value) throw new NotSupportedException($"{GetType().Name} does not support activation checkpointing.");
        }
    }

    /// <summary>Creates an empty <see cref="KeyValueCache"/> sized for this model, for <see cref="Forward"/>.</summary>
    /// <exception cref="NotSupportedException"><see cref="SupportsKeyValueCache"/> is false (the default implementation).</exception>
    KeyValueCache CreateKeyValueCache() =>
        throw new NotSupportedException($"{GetType().Name} does not support a key/value cache.");

    /// <summary>Runs the model.</summary>
    /// <param name="inputIds">Token ids, int64 <c>[B, T]</c>.</param>
    /// <param name="attentionMask">Optional <c>[B, P + T]</c> mask (1 = real token, 0 = padding) covering
    /// the <c>P</c> cached positions and the <c>T</c> new ones; <c>null</c> means no padding.</param>
    /// <param name="positionIds">Optional int64 <c>[B, T]</c> positions; <c>null</c> means <c>P .. P + T - 1</c>.</param>
    /// <param name="cache">Optional key/value cache, extended in place when <see cref="SupportsKeyValueCache"/>.</param>
    /// <param name="logitsToKeep">How many positions get logits, as <c>logits_to_keep</c> in <c>transformers</c>: 0 (the
    /// default) means all <c>T</c> new positions; <c>k</c> in <c>1 .. T</c> means only the last <c>k</c>, and the output layer
    /// then runs only on those hidden states (e.g. 1 for the next token of generation).</param>
    /// <returns>Logits <c>[B, T, V]</c> (<c>[B, k, V]</c> for <paramref name="logitsToKeep"/> <c>k &gt; 0</c>) and last hidden
    /// states <c>[B, T, H]</c> of every new position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="logitsToKeep"/> is negative or greater than <c>T</c>.</exception>
    CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0);
}

/// <summary>The outputs of <see cref="ICausalLanguageModel.Forward"/>.</summary>
/// <param name="Logits">Next-token logits <c>[B, T, V]</c>, or <c>[B, k, V]</c> for the last <c>k</c> positions when
/// <c>logitsToKeep</c> is <c>k &gt; 0</c>.</param>
/// <param name="LastHiddenState">Final hidden states after the last layer norm, <c>[B, T, H]</c>.</param>
public sealed record CausalLMOutput(Tensor Logits, Tensor LastHiddenState) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Logits.Dispose();
        LastHiddenState.Dispose();
    }
}
