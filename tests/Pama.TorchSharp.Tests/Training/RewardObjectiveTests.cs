using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>Reward objectives built from functions and from a TorchSharp reward model.</summary>
public sealed class RewardObjectiveTests
{
    /// <summary>A reward model scoring <c>w · (number of real tokens equal to <paramref name="token"/>) + b</c>.</summary>
    private sealed class TokenCountModel : nn.Module<Tensor, Tensor, Tensor>
    {
        private readonly long _token;
        private readonly Parameter scale;
        private readonly Parameter offset;

        public TokenCountModel(long token, double w, double b) : base(nameof(TokenCountModel))
        {
            _token = token;
            scale = nn.Parameter(tensor(w, ScalarType.Float64));
            offset = nn.Parameter(tensor(b, ScalarType.Float64));
            RegisterComponents();
        }

        public override Tensor forward(Tensor ids, Tensor mask) =>
            (scale * (ids.Eq(_token).to(ScalarType.Float64) * mask.to(ScalarType.Float64)).sum(1)).Plus(offset);
    }

    private static RewardBatch Batch()
    {
        var sequences = TinyModels.Sequences();
        string[] prompts = ["p0", "p1", "p2"];
        string[] responses = ["abc", "def", "ghij"];
        int[][] promptIds = [[3, 4], [1, 2, 3, 4], [7, 8, 9]];
        int[][] responseIds = [[5, 6, 7, 8, 9], [10, 11, 12], [12, 13, 14, 15]];
        return new RewardBatch(prompts, responses, promptIds, responseIds, sequences.SequenceIds, sequences.AttentionMask);
    }

    [Fact]
    public void RewardModelScoresEveryRowFromIdsAndMask()
    {
        RewardBatch batch = Batch();
        var objective = new RewardModelObjective("count-12", new TokenCountModel(12, 0.5, -0.25));

        IReadOnlyList<double> scores = objective.Score(batch);

        // Real tokens equal to 12: row 0 none, row 1 one (response), row 2 one (response); padding (id 31) never counts.
        Assert.Equal([-0.25, 0.25, 0.25], scores);
        Assert.Equal("count-12", objective.Name);
    }

    [Fact]
    public void FunctionObjectivesSeeTextsAndTokenIdsOfEachSample()
    {
        RewardBatch batch = Batch();
        var text = RewardObjective.FromText("text", (p, r) => p.Length * 10 + r.Length);
        var ids = RewardObjective.FromTokenIds("ids", (p, r) => p.Count * 10 + r.Count);

        Assert.Equal([23.0, 23.0, 24.0], text.Score(batch));
        Assert.Equal([25.0, 43.0, 34.0], ids.Score(batch));
    }
}
