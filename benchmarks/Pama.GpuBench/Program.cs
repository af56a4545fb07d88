using Pama.GpuBench;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

// Prints, for one model shape on one device: generation tokens/s (TextGenerator.Generate, temperature 1, KV cache,
// exactly N tokens per row), one forward + backward over [B, P + N] tokens, and one PAMA training step
// (n = 2 objectives, 4 PPO epochs, 1 minibatch) at B prompts of P tokens with N new tokens.
BenchSettings settings;
try
{
    settings = BenchSettings.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    return 2;
}

Console.WriteLine($"{settings.Name}, {settings.DType}, {settings.Device}, B={settings.Batch} P={settings.PromptLength} N={settings.NewTokens}, " +
                  $"repeats={settings.Repeats}, torch threads={get_num_threads()}");
Gpt2Model Model(long seed)
{
    var model = new Gpt2Model(settings.Config, seed);
    model.to(settings.DType);
    model.to(settings.Device);
    model.eval();
    return model;
}

using var promptGenerator = new Generator(1);
using Tensor prompts = randint(0, settings.Config.VocabularySize - 1, [settings.Batch, settings.PromptLength], ScalarType.Int64, generator: promptGenerator);

using (Gpt2Model model = Model(seed: 0))
{
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
    int length = settings.PromptLength + settings.NewTokens;
    using Tensor sequence = randint(0, settings.Config.VocabularySize, [settings.Batch, length], ScalarType.Int64, generator: promptGenerator).to(settings.Device);
    double forwardBackward = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () =>
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        CausalLMOutput output = model.Forward(sequence);
        // Next-token cross-entropy, the loss shape of language-model training.
        Tensor logProbabilities = output.Logits.narrow(1, 0, length - 1).log_softmax(-1);
        Tensor loss = -logProbabilities.gather(-1, sequence.narrow(1, 1, length - 1).unsqueeze(-1)).mean();
        loss.backward();
    });
    Console.WriteLine($"forward+backward [{settings.Batch}, {length}]: {forwardBackward:F3} s");
}

{
    var tokenizer = Gpt2Tokenizer.CreateDefault();
    IRewardObjective[] objectives =
    [
        RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 70.0, 0.5, 1.5)),
        RewardObjective.FromText("letter-e", (prompt, response) => (response.Count(c => c == 'e') + 1.0) / (response.Length + 1.0)),
    ];
    var options = new PamaTrainerOptions
    {
        Method = TrainingMethod.Pama,
        Seed = 3,
        // Exactly N tokens per row, like the generation timing: the end token is one the random prompts never hold
        // and random weights practically never sample; the trainer needs one, so it is named.
        Generation = new SamplingOptions { MaxNewTokens = settings.NewTokens, EosTokenId = settings.Config.VocabularySize - 1 },
    };
    using Gpt2Model policy = Model(seed: 0);
    using Gpt2Model reference = Model(seed: 0);
    using var trainer = new PamaTrainer<Gpt2Model>(policy, reference, tokenizer, objectives, options);
    long[] flat = prompts.data<long>().ToArray();
    IReadOnlyList<int>[] promptIds = [.. Enumerable.Range(0, settings.Batch)
        .Select(b => (IReadOnlyList<int>)[.. flat.Skip(b * settings.PromptLength).Take(settings.PromptLength).Select(t => (int)t)])];
    StepMetrics? last = null;
    double step = DeviceTimer.MeanSeconds(settings.Device, settings.Repeats, () => last = trainer.Step(promptIds));
    Console.WriteLine($"PAMA step (n=2, {options.PpoEpochs} PPO epochs, {options.MiniBatches} minibatch): {step:F3} s, " +
                      $"{last!.ResponseTokens} response tokens, weighting {last.WeightingSeconds * 1e3:F2} ms");
}
return 0;
