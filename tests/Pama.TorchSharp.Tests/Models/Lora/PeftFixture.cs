using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Lora;

/// <summary>
/// A PEFT adapter fixture (TestData/peft/NAME, written by PEFT 0.21 itself) and its base checkpoint (TestData/hf/BASE,
/// named in base.txt), with the float64 logits PEFT computed with the adapter applied and after merge_and_unload.
/// </summary>
internal sealed class PeftFixture : IDisposable
{
    private readonly Dictionary<string, Tensor> _expected;

    public PeftFixture(string name)
    {
        AdapterDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "peft", name);
        BaseDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "hf", File.ReadAllText(Path.Combine(AdapterDirectory, "base.txt")).Trim());
        _expected = SafeTensors.Load(Path.Combine(AdapterDirectory, "expected.safetensors"));
    }

    public string AdapterDirectory { get; }

    public string BaseDirectory { get; }

    public Tensor InputIds => _expected["input_ids"];

    public Tensor AttentionMask => _expected["attention_mask"];

    public Tensor PositionIds => _expected["position_ids"];

    public double[] Logits => Values(_expected["logits"]);

    public double[] MergedLogits => Values(_expected["merged_logits"]);

    /// <summary>The base model in float64 on the CPU.</summary>
    public CausalLanguageModel LoadBase() => AutoModelForCausalLM.FromPretrained(BaseDirectory, dtype: ScalarType.Float64);

    /// <summary>The model's logits on the fixture's batch, float64, flattened.</summary>
    public double[] Run(ICausalLanguageModel model)
    {
        using var noGrad = no_grad();
        using CausalLMOutput output = model.Forward(InputIds, AttentionMask, PositionIds);
        return Values(output.Logits);
    }

    /// <summary>
    /// The largest difference at real (unpadded) positions where PEFT's value is finite; fails when nothing is compared.
    /// (transformers 5.17's float64 Llama-family models return NaN for every position of a left-padded row, see
    /// <see cref="HuggingFaceFixture.CompareAtRealTokens"/>; those rows cannot be compared.)
    /// </summary>
    public double MaxErrorAtRealTokens(double[] expected, double[] actual)
    {
        long[] mask = AttentionMask.contiguous().data<long>().ToArray();
        int vocabulary = expected.Length / mask.Length;
        double max = 0;
        int compared = 0;
        for (int position = 0; position < mask.Length; position++)
        {
            if (mask[position] == 0) continue;
            if (!Enumerable.Range(0, vocabulary).All(v => double.IsFinite(expected[position * vocabulary + v]))) continue;
            compared++;
            for (int v = 0; v < vocabulary; v++)
                max = Math.Max(max, Math.Abs(expected[position * vocabulary + v] - actual[position * vocabulary + v]));
        }
        if (compared == 0) throw new InvalidOperationException("The fixture has no finite real position to compare.");
        return max;
    }

    public static double[] Values(Tensor t) => t.detach().cpu().to(ScalarType.Float64).contiguous().data<double>().ToArray();

    public void Dispose()
    {
        foreach (Tensor t in _expected.Values) t.Dispose();
    }
}
