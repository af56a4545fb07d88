using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Tiny random float64 GPT-2 models and trainers for the training tests.</summary>
internal static class TinyModels
{
    public static readonly CharacterTokenizer Tokenizer = new();

    public static Gpt2Config Config() => new()
    {
        VocabularySize = Tokenizer.VocabularySize,
        ContextLength = 48,
        HiddenSize = 16,
        LayerCount = 2,
        HeadCount = 2,
        EmbeddingDropout = 0,
        AttentionDropout = 0,
        ResidualDropout = 0,
        EosTokenId = Tokenizer.EndOfTextId,
        BosTokenId = Tokenizer.EndOfTextId,
    };

    /// <summary>A float64 GPT-2 whose weights depend only on <paramref name="seed"/>, drawn wider than GPT-2's
    /// 0.02 so that next-token distributions are far from uniform.</summary>
    public static Gpt2Model Gpt2(long seed, double scale = 0.3)
    {
        var model = new Gpt2Model(Config(), seed).to(ScalarType.Float64);
        using var generator = new Generator(unchecked((ulong)seed + 7));
        using (no_grad())
            foreach (var (_, parameter) in model.named_parameters()) parameter.normal_(0, scale, generator);
        model.eval();
        return model;
    }

    /// <summary>Two text objectives: vowel count / 3 and length / 4 clamped to [0.5, 1.5].</summary>
    public static IRewardObjective[] VowelsAndLength() =>
    [
        RewardObjective.FromText("vowels", (p, r) => r.Count(c => "aeiou".Contains(c)) / 3.0),
        RewardObjective.FromText("length", (p, r) => Math.Clamp(r.Length / 4.0, 0.5, 1.5)),
    ];

    public static readonly string[] Prompts = ["hello there", "a short one", "what is it?"];

    public static PamaTrainerOptions Options(IMultiObjectiveMethod? method = null) => new()
    {
        Method = method ?? new PamaMethod(),
        LearningRate = 1e-3,
        ValueLearningRate = 1e-2,
        PpoEpochs = 2,
        MiniBatches = 1,
        Generation = new SamplingOptions { MaxNewTokens = 6 },
        Seed = 11,
    };

    /// <summary>A trainer on a fresh <c>Gpt2(1)</c> policy and reference; the policy is returned too.</summary>
    public static (PamaTrainer<Gpt2Model> Trainer, Gpt2Model Policy) Trainer(PamaTrainerOptions options, params IRewardObjective[] objectives)
    {
        var policy = Gpt2(1);
        return (new PamaTrainer<Gpt2Model>(policy, Gpt2(1), Tokenizer, objectives, options), policy);
    }

    /// <summary>Copies of every parameter of <paramref name="module"/>, by name.</summary>
    public static Dictionary<string, double[]> Snapshot(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray());

    public static bool BitwiseEqual(Dictionary<string, double[]> a, Dictionary<string, double[]> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && kv.Value.AsSpan().SequenceEqual(other));

    public static double[] Values(Tensor t) => t.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>Two rows of prompts (left padded) and responses (right padded) as a <see cref="RolloutSequences"/>.</summary>
    public static RolloutSequences Sequences(ScalarType floating = ScalarType.Float64)
    {
        const int pad = 31;
        long[] ids =
        [
            pad, pad, 3, 4, /* response */ 5, 6, 7, 8, 9,
            1, 2, 3, 4, /* response */ 10, 11, 12, pad, pad,
            pad, 7, 8, 9, /* response */ 12, 13, 14, 15, pad,
        ];
        long[] mask =
        [
            0, 0, 1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 1, 1, 1, 0, 0,
            0, 1, 1, 1, 1, 1, 1, 1, 0,
        ];
        Tensor sequence = tensor(ids, [3, 9]);
        Tensor attention = tensor(mask, [3, 9]);
        Tensor responseMask = attention[.., 4..].to(floating);
        return new RolloutSequences(sequence, attention, PromptBatch.PositionIds(attention), 4, responseMask);
    }
}
