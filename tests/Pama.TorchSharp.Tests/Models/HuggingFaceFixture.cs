using Pama.TorchSharp.Models;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>The reference checkpoints under TestData/hf, written by transformers 5.17 with the outputs it computed.</summary>
internal static class HuggingFaceFixture
{
    public static IEnumerable<object[]> CausalLanguageModels => new[] { "gpt2", "gpt2-bf16-sharded", "llama", "qwen2" }.Select(n => new object[] { n });

    public static string Directory(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "hf", name);

    /// <summary>The tensors of <c>expected.safetensors</c>, as stored (int64 ids, float64 outputs).</summary>
    public static Dictionary<string, Tensor> Expected(string name) => SafeTensors.Load(Path.Combine(Directory(name), "expected.safetensors"));

    /// <summary>Copies a fixture into a fresh temporary directory, to be damaged by a test.</summary>
    public static TestDirectory Copy(string name)
    {
        var copy = new TestDirectory();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory(name)))
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        return copy;
    }

    /// <summary>
    /// Largest |a − b| over the positions where <paramref name="mask"/> is 1 and transformers' value is finite, and how
    /// many positions that is. transformers 5.17 returns NaN for every position of a left-padded row of its float64
    /// Llama-family models: its eager attention takes the softmax in float32, where float64's most negative mask value
    /// becomes −∞, so a padding query's row is all −∞ and its NaN reaches the real tokens through zero weights
    /// (0 · NaN). Those rows cannot be compared; <see cref="AutoModelForCausalLMTests"/> checks them by padding invariance.
    /// </summary>
    public static (double MaxDifference, long Compared) CompareAtRealTokens(Tensor actual, Tensor expected, Tensor mask)
    {
        using var scope = NewDisposeScope();
        Tensor keep = mask.Ne(0).unsqueeze(-1).expand_as(expected).logical_and(expected.isfinite().all(-1, keepdim: true).expand_as(expected));
        Tensor difference = (actual.to_type(ScalarType.Float64) - expected.to_type(ScalarType.Float64)).abs().masked_select(keep);
        long compared = difference.numel() / expected.shape[^1];
        return (compared == 0 ? double.NaN : difference.max().item<double>(), compared);
    }

    /// <summary>Rows of transformers' outputs that hold no NaN (see <see cref="CompareAtRealTokens"/>).</summary>
    public static long[] FiniteRows(Tensor expected)
    {
        using var scope = NewDisposeScope();
        return Enumerable.Range(0, (int)expected.shape[0]).Where(r => expected[r].isfinite().all().item<bool>()).Select(r => (long)r).ToArray();
    }
}
