using Pama.GpuBench;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;

// Prints, for one model shape on one device: generation tokens/s (TextGenerator.Generate, temperature 1, KV cache,
// exactly N tokens per row, as transformers_generate.py), one forward + backward over [B, P + N] tokens, and for
// GPT-2 one PAMA training step (n = 2 objectives, 4 PPO epochs, 1 minibatch) at B prompts of P tokens with N new tokens;
// for the Llama shape one such step through a LoRA adapter, with and without activation checkpointing, with its peak memory.
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
using var promptGenerator = new Generator(1);
using Tensor prompts = randint(0, settings.VocabularySize - 1, [settings.Batch, settings.PromptLength], ScalarType.Int64, generator: promptGenerator);
using Tensor sequence = randint(0, settings.VocabularySize, [settings.Batch, settings.PromptLength + settings.NewTokens], ScalarType.Int64, generator: promptGenerator);

if (settings.Gpt2 is { } gpt2Config)
{
    Gpt2Model Gpt2(long seed)
    {
        var model = new Gpt2Model(gpt2Config, seed);
        model.to(settings.DType);
        model.to(settings.Device);
        model.eval();
        return model;
    }
    using (Gpt2Model model = Gpt2(seed: 0)) ModelBench.GenerationAndTraining(model, settings, prompts, sequence);
    ModelBench.PamaStep(Gpt2, settings, prompts);
}
else
{
    using LlamaModel model = new(settings.Llama!, settings.Device, settings.DType);
    ModelBench.RandomizeLlama(model, seed: 0);
    ModelBench.GenerationAndTraining(model, settings, prompts, sequence);
    ModelBench.LoraPamaStep(model, settings, prompts);
}
return 0;
