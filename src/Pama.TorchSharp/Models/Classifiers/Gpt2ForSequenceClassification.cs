using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Hugging Face's <c>GPT2ForSequenceClassification</c> (the paper's GPT-2-large reward model is one): the GPT-2
/// transformer, then a bias-free linear <c>score</c> layer read at the last token of each row that is not
/// <c>pad_token_id</c>, exactly as transformers picks it (the rightmost non-pad id; the last position where
/// the config names no pad token, which then allows only one row per batch).
/// </summary>
public sealed class Gpt2ForSequenceClassification : SequenceClassifier
{
    private const string BackbonePrefix = "gpt2.";

    private readonly Gpt2Model gpt2;
    private readonly Linear score;

    private Gpt2ForSequenceClassification(Gpt2Config config, IReadOnlyList<string> labels, int? padTokenId)
        : base(nameof(Gpt2ForSequenceClassification), labels, padTokenId, config.ContextLength)
    {
        Config = config;
        // The backbone's random initialisation is overwritten by the checkpoint; its seed does not matter.
        gpt2 = new Gpt2Model(config, seed: 0);
        score = nn.Linear(config.HiddenSize, labels.Count, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The transformer's configuration.</summary>
    public Gpt2Config Config { get; }

    /// <inheritdoc />
    public override Device Device => score.weight!.device;

    /// <inheritdoc />
    public override ScalarType DType => score.weight!.dtype;

    /// <summary>Loads a checkpoint directory whose <c>config.json</c> has <c>model_type</c> <c>gpt2</c>.</summary>
    internal static Gpt2ForSequenceClassification Load(string directory, ClassifierConfigFile configFile, Device? device, ScalarType? dtype)
    {
        // The classifier has no output layer, so whether the config ties one does not matter.
        Gpt2Config config = Gpt2Config.FromJson(configFile.Path, requireTiedOutput: false);
        var model = new Gpt2ForSequenceClassification(config, configFile.Labels(), configFile.PadTokenId);
        return LoadedOrDisposed(model, model =>
        {
            if (dtype is { } type && type != ScalarType.Float32) model.to(type);
            using (CheckpointReader checkpoint = CheckpointReader.Open(directory))
            {
                // Hugging Face names: transformer.* for the backbone (as Gpt2Model names them) and score.weight.
                checkpoint.LoadInto(model,
                    name => name.StartsWith(BackbonePrefix, StringComparison.Ordinal) ? name[BackbonePrefix.Length..] : name,
                    key => key.EndsWith(".attn.bias", StringComparison.Ordinal) || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal));
            }
            if (device is not null) model.to(device);
        });
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
        // Positions 0..L-1 as transformers uses when none are passed; padded keys are masked in attention. Only hidden
        // states are computed: no vocabulary logits.
        Tensor pooled = AtLastNonPadToken(gpt2.ForwardHiddenStates(ids, mask), ids);
        return score.forward(pooled).MoveToOuterDisposeScope();
    }
}
