using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Hugging Face's <c>DistilBertForSequenceClassification</c> (the paper's sentiment classifier is one): a
/// bidirectional encoder (token + learned position embeddings and LayerNorm; per layer, attention over the
/// real tokens then a GELU feed-forward, each followed by a residual LayerNorm), then
/// <c>classifier(ReLU(pre_classifier(h[:, 0])))</c> on the first (<c>[CLS]</c>) token.
/// </summary>
public sealed class DistilBertForSequenceClassification : SequenceClassifier
{
    // DistilBERT's LayerNorms all use this epsilon; config.json has no key for it.
    private const double LayerNormEpsilon = 1e-12;

    private readonly Encoder distilbert;
    private readonly Linear pre_classifier;
    private readonly Linear classifier;

    private DistilBertForSequenceClassification(Settings settings, IReadOnlyList<string> labels, int? padTokenId)
        : base(nameof(DistilBertForSequenceClassification), labels, padTokenId, settings.MaxPositions)
    {
        VocabularySize = settings.VocabularySize;
        distilbert = new Encoder(settings);
        pre_classifier = nn.Linear(settings.Dim, settings.Dim);
        classifier = nn.Linear(settings.Dim, labels.Count);
        RegisterComponents();
    }

    /// <summary>Number of token ids.</summary>
    public int VocabularySize { get; }

    /// <inheritdoc />
    public override Device Device => classifier.weight!.device;

    /// <inheritdoc />
    public override ScalarType DType => classifier.weight!.dtype;

    /// <summary>Loads a checkpoint directory whose <c>config.json</c> has <c>model_type</c> <c>distilbert</c>.</summary>
    internal static DistilBertForSequenceClassification Load(string directory, ClassifierConfigFile config, Device? device, ScalarType? dtype)
    {
        var settings = Settings.Read(config);
        var model = new DistilBertForSequenceClassification(settings, config.Labels(), config.PadTokenId);
        return LoadedOrDisposed(model, model =>
        {
            if (dtype is { } type && type != ScalarType.Float32) model.to(type);
            using (CheckpointReader checkpoint = CheckpointReader.Open(directory))
            {
                // Module names are Hugging Face's; old checkpoints also store the position_ids buffer.
                checkpoint.LoadInto(model, name => name, key => key == "distilbert.embeddings.position_ids");
            }
            if (device is not null) model.to(device);
        });
    }

    /// <summary>Classifies each row from its first token.</summary>
    /// <param name="inputIds">Token ids, int64 <c>[B, L]</c>, starting with <c>[CLS]</c>.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding, <c>[B, L]</c>.</param>
    /// <returns>Logits <c>[B, LabelCount]</c>.</returns>
    /// <exception cref="ArgumentException">A tensor has the wrong shape or type, or an id is outside the vocabulary.</exception>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        (Tensor ids, Tensor mask) = CheckInputs(inputIds, attentionMask, VocabularySize);
        Tensor hidden = distilbert.Forward(ids, mask, training);
        Tensor pooled = F.relu(pre_classifier.forward(hidden[.., 0]));
        pooled = F.dropout(pooled, distilbert.ClassifierDropout, training);
        return classifier.forward(pooled).MoveToOuterDisposeScope();
    }

    /// <summary>The sizes and switches of <c>config.json</c>.</summary>
    private sealed record Settings(int VocabularySize, int MaxPositions, int Dim, int HiddenDim, int Layers, int Heads,
        string Activation, double Dropout, double AttentionDropout, double ClassifierDropout)
    {
        public static Settings Read(ClassifierConfigFile config)
        {
            var settings = new Settings(
                config.RequiredInt("vocab_size"),
                config.OptionalInt("max_position_embeddings") ?? 512,
                config.OptionalInt("dim") ?? 768,
                config.OptionalInt("hidden_dim") ?? 3072,
                config.OptionalInt("n_layers") ?? 6,
                config.OptionalInt("n_heads") ?? 12,
                config.OptionalString("activation") ?? "gelu",
                config.OptionalDouble("dropout") ?? 0.1,
                config.OptionalDouble("attention_dropout") ?? 0.1,
                config.OptionalDouble("seq_classif_dropout") ?? 0.2);
            foreach ((string key, int value) in new[] { ("vocab_size", settings.VocabularySize), ("max_position_embeddings", settings.MaxPositions),
                         ("dim", settings.Dim), ("hidden_dim", settings.HiddenDim), ("n_layers", settings.Layers), ("n_heads", settings.Heads) })
            {
                if (value < 1) throw new InvalidDataException($"{config.Path}: '{key}' must be positive, got {value}.");
            }
            if (settings.Dim % settings.Heads != 0)
                throw new InvalidDataException($"{config.Path}: 'dim' ({settings.Dim}) must be a multiple of 'n_heads' ({settings.Heads}).");
            if (settings.Activation is not ("gelu" or "relu" or "gelu_new" or "gelu_pytorch_tanh"))
                throw new InvalidDataException($"{config.Path}: 'activation' is '{settings.Activation}'; supported are gelu, relu, gelu_new and gelu_pytorch_tanh.");
            return settings;
        }
    }

    /// <summary>The <c>distilbert</c> sub-module: embeddings and the transformer layers.</summary>
    private sealed class Encoder : nn.Module
    {
        private readonly Embeddings embeddings;
        private readonly Transformer transformer;
        private readonly double _dropout;

        public Encoder(Settings settings) : base("distilbert")
        {
            embeddings = new Embeddings(settings);
            transformer = new Transformer(settings);
            _dropout = settings.Dropout;
            ClassifierDropout = settings.ClassifierDropout;
            RegisterComponents();
        }

        public double ClassifierDropout { get; }

        public Tensor Forward(Tensor ids, Tensor mask, bool training)
        {
            Tensor x = F.dropout(embeddings.Forward(ids), _dropout, training);
            // allowed[b, 1, 1, s]: every query may attend to key s when s is a real token.
            Tensor allowed = mask.Ne(0).view(mask.shape[0], 1, 1, mask.shape[1]);
            return transformer.Forward(x, allowed, training);
        }
    }

    private sealed class Embeddings : nn.Module
    {
        private readonly Embedding word_embeddings;
        private readonly Embedding position_embeddings;
        private readonly LayerNorm LayerNorm;

        public Embeddings(Settings settings) : base("embeddings")
        {
            word_embeddings = nn.Embedding(settings.VocabularySize, settings.Dim);
            // Sinusoidal checkpoints store their (fixed) table under the same name, so both load alike.
            position_embeddings = nn.Embedding(settings.MaxPositions, settings.Dim);
            LayerNorm = nn.LayerNorm(settings.Dim, LayerNormEpsilon);
            RegisterComponents();
        }

        public Tensor Forward(Tensor ids)
        {
            Tensor positions = KeptScalars.Arange(0, ids.shape[1], ScalarType.Int64, ids.device).unsqueeze(0);
            return LayerNorm.forward(word_embeddings.forward(ids).Plus(position_embeddings.forward(positions)));
        }
    }

    private sealed class Transformer : nn.Module
    {
        private readonly ModuleList<Layer> layer;

        public Transformer(Settings settings) : base("transformer")
        {
            layer = new ModuleList<Layer>(Enumerable.Range(0, settings.Layers).Select(_ => new Layer(settings)).ToArray());
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor allowed, bool training)
        {
            // Without gradients each layer's intermediates are freed as it returns (BlockScopes).
            return BlockScopes.Chain(x, layer, (block, input) => block.Forward(input, allowed, training));
        }
    }

    /// <summary>Post-norm block: <c>h = LN(x + attention(x))</c>, then <c>LN(h + ffn(h))</c>.</summary>
    private sealed class Layer : nn.Module
    {
        private readonly Attention attention;
        private readonly LayerNorm sa_layer_norm;
        private readonly FeedForward ffn;
        private readonly LayerNorm output_layer_norm;

        public Layer(Settings settings) : base("layer")
        {
            attention = new Attention(settings);
            sa_layer_norm = nn.LayerNorm(settings.Dim, LayerNormEpsilon);
            ffn = new FeedForward(settings);
            output_layer_norm = nn.LayerNorm(settings.Dim, LayerNormEpsilon);
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor allowed, bool training)
        {
            Tensor h = sa_layer_norm.forward(attention.Forward(x, allowed, training).Plus(x));
            return output_layer_norm.forward(ffn.Forward(h, training).Plus(h));
        }
    }

    private sealed class Attention : nn.Module
    {
        private readonly Linear q_lin;
        private readonly Linear k_lin;
        private readonly Linear v_lin;
        private readonly Linear out_lin;
        private readonly int _heads;
        private readonly double _dropout;

        public Attention(Settings settings) : base("attention")
        {
            q_lin = nn.Linear(settings.Dim, settings.Dim);
            k_lin = nn.Linear(settings.Dim, settings.Dim);
            v_lin = nn.Linear(settings.Dim, settings.Dim);
            out_lin = nn.Linear(settings.Dim, settings.Dim);
            _heads = settings.Heads;
            _dropout = settings.AttentionDropout;
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, Tensor allowed, bool training)
        {
            long batch = x.shape[0], length = x.shape[1], dim = x.shape[2], headSize = dim / _heads;
            Tensor Split(Tensor t) => t.view(batch, length, _heads, headSize).transpose(1, 2);
            Tensor q = Split(q_lin.forward(x)), k = Split(k_lin.forward(x)), v = Split(v_lin.forward(x));
            Tensor scores = q.matmul(k.transpose(-1, -2)).DividedBy(Math.Sqrt(headSize));
            // The type's lowest value, as transformers masks: a row with no real token stays finite (uniform weights).
            scores = scores.MaskedFill(allowed.logical_not(), finfo(scores.dtype).min);
            Tensor weights = F.dropout(scores.softmax(-1), _dropout, training);
            Tensor context = weights.matmul(v).transpose(1, 2).reshape(batch, length, dim);
            return out_lin.forward(context);
        }
    }

    private sealed class FeedForward : nn.Module
    {
        private readonly Linear lin1;
        private readonly Linear lin2;
        private readonly string _activation;
        private readonly double _dropout;

        public FeedForward(Settings settings) : base("ffn")
        {
            lin1 = nn.Linear(settings.Dim, settings.HiddenDim);
            lin2 = nn.Linear(settings.HiddenDim, settings.Dim);
            _activation = settings.Activation;
            _dropout = settings.Dropout;
            RegisterComponents();
        }

        public Tensor Forward(Tensor x, bool training)
        {
            Tensor h = lin1.forward(x);
            h = _activation switch
            {
                "relu" => F.relu(h),
                "gelu" => F.gelu(h),
                _ => F.gelu(h, GELU.Approximate.tanh),
            };
            return F.dropout(lin2.forward(h), _dropout, training);
        }
    }
}
