using Pama.TorchSharp.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Generation;

/// <summary>
/// A causal LM whose next token is a fixed function of the last one (<c>t → (t + 1) mod V</c>, logit 50 against 0),
/// so tests know every step in advance. Optionally its logits for one row turn NaN once the sequence reaches a length.
/// </summary>
internal sealed class ScriptedModel : nn.Module<Tensor, Tensor>, ICausalLanguageModel
{
    private readonly Parameter _anchor;
    private readonly (int Row, long Length)? _nanAt;

    public ScriptedModel(int vocabulary, (int Row, long Length)? nanAt = null) : base("scripted")
    {
        VocabularySize = vocabulary;
        _nanAt = nanAt;
        _anchor = new Parameter(zeros(1, dtype: ScalarType.Float64), requires_grad: false);
        register_parameter("anchor", _anchor);
    }

    public int VocabularySize { get; }
    public int HiddenSize => 1;
    public int ContextLength => 64;
    public bool SupportsKeyValueCache => false;

    public CausalLMOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, KeyValueCache? cache = null, int logitsToKeep = 0)
    {
        long count = inputIds.shape[1];
        ArgumentOutOfRangeException.ThrowIfNegative(logitsToKeep);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(logitsToKeep, count);
        Tensor successor;
        using (Scalar size = VocabularySize.ToScalar()) successor = inputIds.Plus(1L).remainder(size);
        Tensor logits = nn.functional.one_hot(successor, VocabularySize).to(ScalarType.Float64).Times(50.0);
        if (_nanAt is { } at && inputIds.shape[1] == at.Length)
            logits[at.Row].Fill(double.NaN);
        if (logitsToKeep > 0)
        {
            Tensor kept = logits.narrow(1, count - logitsToKeep, logitsToKeep).contiguous();
            logits.Dispose();
            logits = kept;
        }
        return new CausalLMOutput(logits, zeros(inputIds.shape[0], count, 1, ScalarType.Float64));
    }

    public override Tensor forward(Tensor input) => Forward(input).Logits;
}
