// readme:custom-loop
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Advantages;
using Pama.TorchSharp.Training.Critic;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Ppo;
using Pama.TorchSharp.Training.Rewards;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using KeptAdamW = Pama.TorchSharp.Training.Optimizers.AdamW;          // AdamW that keeps its Scalars alive (docs/scalar-safety.md)
// readme:end

namespace Pama.Examples;

/// <summary>README: one PAMA step in your own loop, from the public building blocks.</summary>
public static class CustomLoopExample
{
    /// <summary>Runs one step on <paramref name="prompts"/>; returns the method's result (weights, s*) and whether the policy moved.</summary>
    public static (IReadOnlyList<double> Weights, double OptimalValue, bool PolicyUpdated) Run(string modelDirectory, string[] prompts, int maxNewTokens = 16)
    {
        // readme:custom-loop
        using var policy = Gpt2Model.FromPretrained(modelDirectory);
        using var reference = policy.Clone();
        foreach (var p in reference.parameters()) p.requires_grad = false;
        policy.eval(); reference.eval();                                  // no dropout: u = 1 at the first update
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        const int n = 2;                                                   // objectives
        using var valueHeads = new ValueHeads(policy.HiddenSize, n, ScalarType.Float32, policy.Device);
        Parameter[] policyParameters = [.. policy.parameters()], headParameters = [.. valueHeads.parameters()];
        using var policyOptimizer = new KeptAdamW(policyParameters, lr: 1e-5);
        using var valueOptimizer = new KeptAdamW(headParameters, lr: 1e-5);
        using Scalar valueLossCoefficient = 0.1.ToScalar();                // explicit, kept alive until backward is done
        var stage = new CombineStage(new PamaMethod(), n);                // or new MorlhfMethod(0.5, 0.5), new MgdaUbMethod(), yours
        IAdvantageEstimator estimator = new GeneralizedAdvantageEstimation(gamma: 1.0, lambda: 0.95);
        using var generator = new Generator(seed: 1);
        using var scope = NewDisposeScope();

        // 1. Sample responses (KV cache, your generator).
        var (ids, mask) = PromptBatch.LeftPad([.. prompts.Select(tokenizer.Encode)], tokenizer.EndOfTextId, policy.Device);
        var sampling = new SamplingOptions { MaxNewTokens = maxNewTokens, EosTokenId = tokenizer.EndOfTextId };
        var sequences = RolloutSequences.FromGeneration(TextGenerator.Generate(policy, ids, mask, sampling, generator), ScalarType.Float32);
        Tensor responseMask = sequences.ResponseMask;

        // 2. Score without gradients: log π_old, log π_ref, values; then your n rewards per response, [B, n].
        Tensor oldLogProbs, referenceLogProbs, values;
        using (no_grad())
        {
            ResponseForward rollout = ResponseForward.Run(policy, sequences);
            (oldLogProbs, values) = (rollout.LogProbs, valueHeads.call(rollout.ResponseHiddenState));
            referenceLogProbs = ResponseForward.Run(reference, sequences).LogProbs;
        }
        string[] texts = [.. sequences.ResponseTokenIds().Select(r => ResponseText.Decode(tokenizer, r))];
        double[] scores = [.. texts.SelectMany(r => new[] { Math.Clamp(r.Length / 140.0, 0.5, 1.5), 1.0 - r.Count(char.IsUpper) / (r.Length + 1.0) })];
        Tensor rewards = tensor(scores, [texts.Length, n], ScalarType.Float32, policy.Device);

        // 3. Per-objective advantages: per-token rewards with the KL penalty, GAE with head i for objective i.
        var (tokenRewards, _) = TokenRewards.Compute(oldLogProbs, referenceLogProbs, responseMask, rewards, klCoefficient: 0.2);
        var (advantages, returns) = estimator.Estimate(tokenRewards, values, responseMask);   // [B, T, n]
        stage.BeginStep([.. Enumerable.Range(0, n).Select(i => scores.Where((_, k) => k % n == i).Average())]);   // mean rewards
        advantages = stage.PrepareStep(advantages, responseMask, AdvantageWhitening.None);

        // 4. One PPO update: forward with gradients, PAMA forms ONE advantage, clipped surrogate + value losses, ONE backward.
        ResponseForward current = ResponseForward.Run(policy, sequences);
        CombinedAdvantage combined = stage.Combine(new MethodInput(
            advantages, current.LogProbs, oldLogProbs, responseMask, current.LastHiddenState, ClipEpsilon: 0.2));
        Tensor policyLoss = PpoLosses.ClippedSurrogate(current.LogProbs, oldLogProbs, combined.Advantage, responseMask, epsilon: 0.2);
        Tensor valueLoss = PpoLosses.ValueLosses(valueHeads.call(current.ResponseHiddenState), values, returns!, responseMask, clipRange: 0.2).sum();
        policyOptimizer.zero_grad();
        valueOptimizer.zero_grad();
        if (combined.UpdatesPolicy)                                        // s* = 0: Pareto-stationary, leave the policy untouched
        {
            policyLoss.add(valueLoss, valueLossCoefficient).backward();     // the policy gradient is Σ c_i ∇L^i
            GradientGuard.ClipOrRefuse(1.0, ("policy", policyParameters), ("value-head", headParameters));
            policyOptimizer.step();
        }
        else
        {
            valueLoss.mul(valueLossCoefficient).backward();
            GradientGuard.ClipOrRefuse(1.0, ("value-head", headParameters));
        }
        valueOptimizer.step();
        Console.WriteLine($"c = [{string.Join(", ", combined.Weights)}], s* = {combined.OptimalValue}");
        // readme:end
        return (combined.Weights, combined.OptimalValue, combined.UpdatesPolicy);
    }
}
