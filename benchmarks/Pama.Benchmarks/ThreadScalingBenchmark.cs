using System.Diagnostics;
using System.Globalization;
using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.Benchmarks;

/// <summary>
/// How the CPU work scales from one libtorch thread to two, in process, median of interleaved rounds: the output projection
/// <c>[512, 768] · [768, 50,257]</c> as <c>h.matmul(Wᵀ)</c> (what the models did) against <c>linear(h, W)</c> (what they do now),
/// the same product at a decode step's 8 rows (as <c>linear</c> and as <c>(W hᵀ)ᵀ</c>, what the tied output layers do there now), one GPT-2 layer's
/// <c>c_attn</c> product at 8 rows (100 times), and a random GPT-2 124M (12 layers, width 768, float32): a forward over
/// <c>[8, 64]</c> and a cached greedy decode of 8 prompts of 16 tokens plus 48 (<c>TextGenerator.Generate</c>).
/// Run: <c>dotnet run -c Release --project benchmarks/Pama.Benchmarks -- thread-scaling [rounds]</c>.
/// </summary>
public static class ThreadScalingBenchmark
{
    public const string Command = "thread-scaling";

    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        using var generator = new Generator(1);
        using Tensor hidden = randn([512, 768], generator: generator), decodeRows = randn([8, 768], generator: generator);
        using var model = new Gpt2Model(new Gpt2Config().WithoutDropout(), seed: 2);
        model.eval();
        Tensor weight = model.get_parameter("transformer.wte.weight") ?? throw new InvalidOperationException("GPT-2 has no transformer.wte.weight.");
        using Tensor tokens = randint(0, 50_257, [8, 64], ScalarType.Int64, generator: generator);
        using Tensor prompts = tokens.narrow(1, 0, 16).contiguous();
        using Tensor mask = ones(8, 16, ScalarType.Int64);
        using Tensor cAttn = randn([768, 2304], generator: generator), cAttnBias = randn([2304], generator: generator);
        var greedy = new SamplingOptions { MaxNewTokens = 48, Temperature = 0 };

        (string Name, Action Work)[] cases =
        [
            ("output projection [512 x 768] . [768 x 50257], h.matmul(W^T)", () => { using var _ = no_grad(); hidden.matmul(weight.t()).Dispose(); }),
            ("output projection [512 x 768] . [768 x 50257], linear(h, W)", () => { using var _ = no_grad(); nn.functional.linear(hidden, weight).Dispose(); }),
            ("output projection at 8 rows, linear(h, W)", () => { using var _ = no_grad(); nn.functional.linear(decodeRows, weight).Dispose(); }),
            ("output projection at 8 rows, (W . h^T)^T", () => { using var _ = no_grad(); using var scope = NewDisposeScope(); weight.matmul(decodeRows.t()).t().contiguous(); }),
            ("GPT-2 c_attn at 8 rows x 100, addmm(b, x, W)", () => { using var _ = no_grad(); for (int i = 0; i < 100; i++) addmm(cAttnBias, decodeRows, cAttn, beta: 1, alpha: 1).Dispose(); }),
            ("GPT-2 124M forward [8, 64], no grad", () => { using var _ = no_grad(); using var scope = NewDisposeScope(); model.Forward(tokens); }),
            ("GPT-2 124M cached greedy decode, 8 x 16 + 48 tokens", () => { using var g = new Generator(3); TextGenerator.Generate(model, prompts, mask, greedy, g).Dispose(); }),
        ];
        var times = new Dictionary<(int, int), List<double>>();
        for (int round = 0; round <= rounds; round++)
            foreach (int threads in round % 2 == 0 ? new[] { 1, 2 } : [2, 1])
            {
                torch.set_num_threads(threads);
                for (int c = 0; c < cases.Length; c++)
                {
                    var clock = Stopwatch.StartNew();
                    cases[c].Work();
                    if (round == 0) continue;   // warm-up
                    if (!times.TryGetValue((c, threads), out var list)) times[(c, threads)] = list = [];
                    list.Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        Console.WriteLine($"Median of {rounds} interleaved rounds (ms), float32, CPU.");
        Console.WriteLine("| measure | 1 thread | 2 threads | 1 thread / 2 threads |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (int c = 0; c < cases.Length; c++)
        {
            double one = Median(times[(c, 1)]), two = Median(times[(c, 2)]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {cases[c].Name} | {one:F1} | {two:F1} | {one / two:F2} |"));
        }
        return 0;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
