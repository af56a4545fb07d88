// readme:lora
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Rewards;
using TorchSharp;
using static TorchSharp.torch;
// readme:end

namespace Pama.Examples;

/// <summary>README: PAMA through a LoRA adapter on a bf16 base, saved in PEFT's format, then merged.</summary>
public static class LoraExample
{
    /// <summary>Applies an adapter to the checkpoint in <paramref name="modelDirectory"/>, takes one step, saves the adapter to
    /// <paramref name="adapterDirectory"/> and merges it; returns the merged model and the step's metrics.</summary>
    public static (CausalLanguageModel Merged, StepMetrics Metrics) Run(string modelDirectory, string adapterDirectory, string[] prompts, int maxNewTokens = 48)
    {
        var tokenizer = AutoTokenizer.FromPretrained(modelDirectory);
        IRewardObjective[] objectives =
        [
            RewardObjective.FromText("length", (prompt, response) => Math.Clamp(response.Length / 140.0, 0.5, 1.5)),
            RewardObjective.FromText("no-shouting", (prompt, response) => 1.0 - response.Count(char.IsUpper) / (response.Length + 1.0)),
        ];
        var options = new PamaTrainerOptions { Seed = 1, Generation = new SamplingOptions { MaxNewTokens = maxNewTokens } };
        // readme:lora
        CausalLanguageModel model = AutoModelForCausalLM.FromPretrained(modelDirectory, dtype: ScalarType.BFloat16); // frozen base
        using var generator = new Generator(seed: 1);               // yours: draws the A matrices
        using LoraAdapter adapter = LoraAdapter.Apply(model, new LoraOptions { Rank = 16, Alpha = 32 }, generator); // PEFT's targets for the family
        // or: LoraAdapter.Load(model, "my-peft-adapter")            // adapter_config.json + adapter_model.safetensors
        using var trainer = new PamaTrainer<CausalLanguageModel>(model, adapter, tokenizer, objectives, options);
        StepMetrics metrics = trainer.Step(prompts);                // reference = the same model with the adapter disabled
        adapter.Save(adapterDirectory);                             // loadable by PeftModel.from_pretrained
        using (adapter.Disable()) { /* here the model computes the base function */ }
        adapter.Merge();                                            // W ← W + (α/r)·B·A; lora_A / lora_B removed
        // readme:end
        return (model, metrics);
    }
}
