using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.GpuBench;

/// <summary>The measurements, for any causal language model.</summary>
internal static class ModelBench
{
    /// <summary>Prints generation tokens/s and the time of one forward + backward.</summary>
    public static void GenerationAndTraining<TModel>(TModel model, BenchSettings settings, Tensor prompts, Tensor sequence)
        where TModel : nn.Module, ICausalLanguageModel
    {
        model.eval();
        using Tensor ids = prompts.to(settings.Device);
        using Tensor mask = ones_like(ids);
        using var generator = new Generator(2);
        var sampling = new SamplingOptions { MaxNewTokens = settings.NewTokens };
        double generate = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () =>
        {
            using GenerationResult result = TextGenerator.Generate(model, ids, mask, sampling, generator);
        });
        Console.WriteLine($"generate: {generate:F3} s/batch, {settings.Batch * settings.NewTokens / generate:F0} tok/s");

        model.train();
        long length = sequence.shape[1];
        using Tensor tokens = sequence.to(settings.Device);
        double forwardBackward = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () =>
        {
            using var scope = NewDisposeScope();
            model.zero_grad();
            CausalLMOutput output = model.Forward(tokens);
            // Next-token cross-entropy (in float32 for low-precision models), the loss of language-model training.
            Tensor logProbabilities = output.Logits.narrow(1, 0, length - 1).to_type(ScalarType.Float32).log_softmax(-1);
            Tensor loss = -logProbabilities.gather(-1, tokens.narrow(1, 1, length - 1).unsqueeze(-1)).mean();
            loss.backward();
        });
        model.eval();
        model.zero_grad();
        Console.WriteLine($"forward+backward [{settings.Batch}, {length}]: {forwardBackward:F3} s");
    }

    /// <summary>Prints the time of one PAMA step with two cheap text objectives (policy and reference from <paramref name="create"/>).</summary>
    public static void PamaStep<TModel>(Func<long, TModel> create, BenchSettings settings, Tensor prompts)
        where TModel : nn.Module, ICausalLanguageModel
    {
        var tokenizer = Gpt2Tokenizer.CreateDefault();
        IRewardObjective[] objectives =
        [
            RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 70.0, 0.5, 1.5)),
            RewardObjective.FromText("letter-e", (prompt, response) => (response.Count(c => c == 'e') + 1.0) / (response.Length + 1.0)),
        ];
        var options = new PamaTrainerOptions
        {
            Seed = 3,
            // N tokens per row unless a row samples the end token, which random weights practically never do.
            Generation = new SamplingOptions { MaxNewTokens = settings.NewTokens },
        };
        using TModel policy = create(0);
        using TModel reference = create(0);
        using var trainer = new PamaTrainer<TModel>(policy, reference, tokenizer, objectives, options);
        long[] flat = prompts.data<long>().ToArray();
        IReadOnlyList<int>[] promptIds = [.. Enumerable.Range(0, settings.Batch)
            .Select(b => (IReadOnlyList<int>)[.. flat.Skip(b * settings.PromptLength).Take(settings.PromptLength).Select(t => (int)t)])];
        StepMetrics? last = null;
        double step = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () => last = trainer.Step(promptIds));
        Console.WriteLine($"PAMA step (n=2, {options.PpoEpochs} PPO epochs, {options.MiniBatches} minibatch): {step:F3} s, " +
                          $"{last!.ResponseTokens} response tokens, weighting {last.WeightingSeconds * 1e3:F2} ms");
    }

    /// <summary>
    /// Prints time and peak memory of one PAMA step through a LoRA adapter (PEFT's default targets for the family, r 16,
    /// α 32) on <paramref name="model"/>, with and without activation checkpointing. The objectives read token ids.
    /// </summary>
    public static void LoraPamaStep(LlamaModel model, BenchSettings settings, Tensor prompts)
    {
        using var generator = new Generator(5);
        using LoraAdapter adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 16, Alpha = 32 }, generator);
        IRewardObjective[] objectives =
        [
            RewardObjective.FromTokenIds("length", (prompt, response) => Math.Clamp(response.Count / (double)settings.NewTokens, 0.5, 1.5)),
            RewardObjective.FromTokenIds("even-ids", (prompt, response) => (response.Count(id => id % 2 == 0) + 1.0) / (response.Count + 1.0)),
        ];
        long[] flat = prompts.cpu().data<long>().ToArray();
        IReadOnlyList<int>[] promptIds = [.. Enumerable.Range(0, settings.Batch)
            .Select(b => (IReadOnlyList<int>)[.. flat.Skip(b * settings.PromptLength).Take(settings.PromptLength).Select(t => (int)t)])];
        foreach (bool checkpointing in new[] { false, true })
        {
            var options = new PamaTrainerOptions
            {
                Seed = 3,
                ActivationCheckpointing = checkpointing,
                Generation = new SamplingOptions { MaxNewTokens = settings.NewTokens },
            };
            using var trainer = new PamaTrainer<LlamaModel>(model, adapter, new WideVocabularyTokenizer(model.VocabularySize), objectives, options);
            trainer.Step(promptIds);   // warm-up
            StepMetrics? last = null;
            double seconds = 0;
            (double peak, string what) = PeakMemory.Measure(settings.Device, () => seconds = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () => last = trainer.Step(promptIds)));
            model.ActivationCheckpointing = false;
            Console.WriteLine($"PAMA step with LoRA (r 16 on {string.Join(", ", model.DefaultLoraTargetModules)}; {adapter.ParameterCount:N0} trainable), " +
                              $"activation checkpointing {(checkpointing ? "on" : "off")}: {seconds:F3} s, {last!.ResponseTokens} response tokens, " +
                              $"peak memory {peak:F0} MiB ({what})");
        }
    }

    /// <summary>Random weights for a timing run: N(0, 0.02²) matrices and embeddings, unit norms (the constructor
    /// leaves embeddings and norms at zero, which would make every logit 0).</summary>
    public static void RandomizeLlama(LlamaModel model, long seed)
    {
        manual_seed(seed);
        using var noGrad = no_grad();
        using Scalar one = 1.0.ToScalar();
        foreach (var (_, parameter) in model.named_parameters())
        {
            if (parameter.dim() >= 2) parameter.normal_(0, 0.02);
            else parameter.fill_(one);
        }
    }
}
