// A fresh app that knows only the Pama packages: solve a PAMA weighting, then run TorchSharp.
using Pama;
using static TorchSharp.torch;

int failures = 0;
void Check(bool condition, string what)
{
    Console.WriteLine($"{(condition ? "ok  " : "FAIL")} {what}");
    if (!condition) failures++;
}

// All statistics positive: s* is the smallest and all weight goes to it (Theorem 1).
PamaSolution solution = PamaSolver.Solve([0.5, 0.25, 2.0]);
Check(solution.Value == 0.25, $"s* = {solution.Value} (expected 0.25)");
Check(solution.Weights.SequenceEqual([0.0, 1.0, 0.0]), $"weights = [{string.Join(", ", solution.Weights)}]");

// Mixed signs: a two-point mix with sum c_i a_i = 0.
Span<double> weights = stackalloc double[2];
double value = PamaSolver.Solve([-1.0, 3.0], weights);
Check(value == 0 && Math.Abs(weights[0] * -1.0 + weights[1] * 3.0) < 1e-15, $"mixed signs: s* = {value}, c = [{weights[0]}, {weights[1]}]");

// TorchSharp through the packaged native fix: a small float64 matrix product.
Pama.TorchSharp.TorchRuntime.EnsureAvailable();
using Tensor a = tensor(new double[] { 1, 2, 3, 4 }, [2, 2], ScalarType.Float64);
using Tensor product = a.matmul(a);
double[] got = product.data<double>().ToArray();
Check(got.SequenceEqual([7.0, 10.0, 15.0, 22.0]), $"torch matmul = [{string.Join(", ", got)}]");

// The adapter's GPT-2 and tokenizer from the package: a tiny random model scores a tokenized prompt.
var tokenizer = Pama.TorchSharp.Models.Gpt2Tokenizer.CreateDefault();
IReadOnlyList<int> ids = tokenizer.Encode("Hello world");
Check(ids.SequenceEqual([15496, 995]), $"GPT-2 BPE ids = [{string.Join(", ", ids)}]");
var config = new Pama.TorchSharp.Models.Gpt2Config
{
    VocabularySize = tokenizer.VocabularySize, ContextLength = 16, HiddenSize = 16, LayerCount = 1, HeadCount = 2,
}.WithoutDropout();
using var model = new Pama.TorchSharp.Models.Gpt2Model(config, seed: 1);
using Tensor input = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Count]);
using var output = model.Forward(input);
Check(output.Logits.shape.SequenceEqual([1L, ids.Count, tokenizer.VocabularySize]), $"GPT-2 logits shape = [{string.Join(", ", output.Logits.shape)}]");

Console.WriteLine(failures == 0 ? "consumer: ok" : $"consumer: {failures} check(s) failed");
return failures == 0 ? 0 : 1;
