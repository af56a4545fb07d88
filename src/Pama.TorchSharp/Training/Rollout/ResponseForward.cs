using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training.Ppo;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Training.Rollout;

/// <summary>One forward pass of a causal LM over prompt + response, read at the response tokens.</summary>
/// <param name="LogProbs">Log-probabilities <c>log π(y_t | x, y_&lt;t)</c> of the response tokens <c>[B, T]</c>.</param>
/// <param name="Logits">Logits predicting the response tokens <c>[B, T, V]</c>.</param>
/// <param name="ResponseHiddenState">Last hidden states at the positions predicting the response tokens <c>[B, T, H]</c> (the value heads' input).</param>
/// <param name="LastHiddenState">Last hidden states of the whole sequence <c>[B, P + T, H]</c> (the graph node MGDA-UB differentiates against).</param>
public sealed record ResponseForward(Tensor LogProbs, Tensor Logits, Tensor ResponseHiddenState, Tensor LastHiddenState)
{
    /// <summary>Runs <paramref name="model"/> on <paramref name="sequences"/>; position <c>P − 1 + t</c> predicts response token <c>t</c>.</summary>
    /// <param name="model">The policy or the reference.</param>
    /// <param name="sequences">Prompt + response layout.</param>
    public static ResponseForward Run(ICausalLanguageModel model, RolloutSequences sequences)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sequences);
        var output = model.Forward(sequences.SequenceIds, sequences.AttentionMask, sequences.PositionIds);
        long start = sequences.PromptLength - 1, length = sequences.ResponseLength;
        Tensor logits = output.Logits.narrow(1, start, length);
        // A half-precision model's logits are read in float32, so log-probabilities and PPO ratios keep their digits.
        if (logits.dtype is ScalarType.BFloat16 or ScalarType.Float16) logits = logits.to(ScalarType.Float32);
        Tensor hidden = output.LastHiddenState.narrow(1, start, length);
        Tensor chosen = logits.gather(-1, sequences.ResponseIds.unsqueeze(-1)).squeeze(-1);
        Tensor logProbs = chosen - logits.logsumexp(-1);
        return new ResponseForward(logProbs, logits, hidden, output.LastHiddenState);
    }

    /// <summary>Mean entropy of the next-token distributions over the masked response tokens.</summary>
    /// <param name="mask">Response mask <c>[B, T]</c>.</param>
    public double MeanEntropy(Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor logProbabilities = Logits.log_softmax(-1);
        Tensor entropy = -(logProbabilities.exp() * logProbabilities).sum(-1);
        return PpoLosses.MaskedMean(entropy, mask).to(ScalarType.Float64).item<double>();
    }
}
