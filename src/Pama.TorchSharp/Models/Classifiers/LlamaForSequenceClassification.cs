using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Hugging Face's <c>LlamaForSequenceClassification</c>, <c>MistralForSequenceClassification</c> and
/// <c>Qwen2ForSequenceClassification</c> (most current reward models): the <see cref="LlamaModel"/> decoder, then a
/// bias-free linear <c>score</c> layer read at the last non-padding token of each row, with positions 0..L-1 as
/// transformers uses when none are passed.
/// </summary>
/// <remarks>Only the decoder's hidden states are computed: no vocabulary logits.</remarks>
public sealed class LlamaForSequenceClassification : SequenceClassifier
{
    private const string BackbonePrefix = "llama.";

    private readonly LlamaModel llama;
    private readonly Linear score;

    private LlamaForSequenceClassification(LlamaConfig config, IReadOnlyList<string> labels, int? padTokenId, Device? device, ScalarType? dtype)
        : base(nameof(LlamaForSequenceClassification), labels, padTokenId, config.MaxPositionEmbeddings)
    {
        // The classifier has no lm_head, and the decoder computes no logits for it: tying only keeps an unused one from being built.
        Config = config with { TieWordEmbeddings = true };
        llama = new LlamaModel(Config, device, dtype);
        score = nn.Linear(config.HiddenSize, labels.Count, hasBias: false, device: device, dtype: dtype ?? ScalarType.Float32);
        RegisterComponents();
    }

    /// <summary>The decoder's configuration.</summary>
    public LlamaConfig Config { get; }

    /// <inheritdoc />
    public override Device Device => score.weight!.device;

    /// <inheritdoc />
    public override ScalarType DType => score.weight!.dtype;

    /// <summary>Loads a checkpoint directory whose <c>config.json</c> has <c>model_type</c> llama, mistral or qwen2.</summary>
    internal static LlamaForSequenceClassification Load(string directory, ClassifierConfigFile configFile, Device? device, ScalarType? dtype)
    {
        LlamaConfig config = LlamaConfig.FromJson(configFile.Path);
        using CheckpointReader checkpoint = CheckpointReader.Open(directory);
        var model = new LlamaForSequenceClassification(config, configFile.Labels(), configFile.PadTokenId, device, dtype);
        // Hugging Face names: model.* for the decoder (as LlamaModel names them) and score.weight.
        return LoadedOrDisposed(model, model => checkpoint.LoadInto(model,
            name => name.StartsWith(BackbonePrefix, StringComparison.Ordinal) ? name[BackbonePrefix.Length..] : name,
            key => key.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)));
    }

    /// <summary>Scores each row at its last non-padding token.</summary>
    /// <param name="inputIds">Token ids, int64 <c>[B, L]</c>.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, <c>[B, L]</c>.</param>
    /// <returns>Logits <c>[B, LabelCount]</c>.</returns>
    /// <exception cref="ArgumentException">Bad shapes or ids, or several rows with no <c>pad_token_id</c> in the config.</exception>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        (Tensor ids, Tensor mask) = CheckInputs(inputIds, attentionMask, Config.VocabularySize);
        Tensor positions = KeptScalars.Arange(0, ids.shape[1], ScalarType.Int64, ids.device).unsqueeze(0).expand(ids.shape[0], ids.shape[1]);
        Tensor pooled = AtLastNonPadToken(llama.ForwardHiddenStates(ids, mask, positions), ids);
        return score.forward(pooled).MoveToOuterDisposeScope();
    }
}
