using Xunit;
using Pama.TorchSharp.Models;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>Checks <see cref="Gpt2Model"/> against the GPT-2 equations written out in plain C# doubles.</summary>
public sealed class Gpt2ReferenceTests
{
    [Fact]
    public void OneLayerLogitsMatchHandWrittenFloat64Reference()
    {
        Gpt2Config config = TinyGpt2.Config(layers: 1, vocabulary: 23, hidden: 8, heads: 2, context: 12);
        using Gpt2Model model = TinyGpt2.Create(config, seed: 7);
        long[] ids = [3, 17, 0, 22, 9, 5];

        using var input = TinyGpt2.Ids(ids);
        using CausalLMOutput output = model.Forward(input);
        double[] actual = TinyGpt2.Values(output.Logits);
        double[] actualHidden = TinyGpt2.Values(output.LastHiddenState);

        var reference = new Reference(model);
        (double[][] expectedLogits, double[][] expectedHidden) = reference.Run(ids);

        Assert.Equal(new long[] { 1, ids.Length, config.VocabularySize }, output.Logits.shape);
        for (int t = 0; t < ids.Length; t++)
        {
            for (int v = 0; v < config.VocabularySize; v++)
                Assert.Equal(expectedLogits[t][v], actual[t * config.VocabularySize + v], 1e-10);
            for (int c = 0; c < config.HiddenSize; c++)
                Assert.Equal(expectedHidden[t][c], actualHidden[t * config.HiddenSize + c], 1e-10);
        }
    }

    [Fact]
    public void StateDictUsesHuggingFaceNames()
    {
        using Gpt2Model model = new(TinyGpt2.Config(layers: 1), seed: 1);
        string[] expected =
        [
            "transformer.wte.weight", "transformer.wpe.weight",
            "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias",
            "transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_attn.bias",
            "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias",
            "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias",
            "transformer.h.0.mlp.c_fc.weight", "transformer.h.0.mlp.c_fc.bias",
            "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias",
            "transformer.ln_f.weight", "transformer.ln_f.bias",
        ];
        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
        // Hugging Face's Conv1D stores weights as [in, out].
        Assert.Equal(new long[] { 16, 48 }, model.state_dict()["transformer.h.0.attn.c_attn.weight"].shape);
    }

    [Fact]
    public void SameSeedGivesSameWeightsAndDifferentSeedsDiffer()
    {
        Gpt2Config config = TinyGpt2.Config();
        using Gpt2Model a = new(config, seed: 5), b = new(config, seed: 5), c = new(config, seed: 6);
        double[] wa = TinyGpt2.Values(a.state_dict()["transformer.h.1.mlp.c_fc.weight"]);
        double[] wb = TinyGpt2.Values(b.state_dict()["transformer.h.1.mlp.c_fc.weight"]);
        double[] wc = TinyGpt2.Values(c.state_dict()["transformer.h.1.mlp.c_fc.weight"]);
        Assert.Equal(wa, wb);
        Assert.NotEqual(wa, wc);
        // GPT-2 initialisation: N(0, 0.02²) for c_fc; the sample standard deviation of 1024 draws is close to 0.02.
        double mean = wa.Average();
        double std = Math.Sqrt(wa.Sum(w => (w - mean) * (w - mean)) / wa.Length);
        Assert.InRange(std, 0.017, 0.023);
    }

    /// <summary>GPT-2 forward pass in plain doubles for one sequence (no padding).</summary>
    private sealed class Reference
    {
        private readonly Gpt2Config _config;
        private readonly Dictionary<string, double[]> _w;

        public Reference(Gpt2Model model)
        {
            _config = model.Config;
            _w = model.state_dict().ToDictionary(p => p.Key, p => TinyGpt2.Values(p.Value));
        }

        public (double[][] Logits, double[][] Hidden) Run(long[] ids)
        {
            int n = ids.Length, c = _config.HiddenSize, v = _config.VocabularySize;
            double[] wte = _w["transformer.wte.weight"], wpe = _w["transformer.wpe.weight"];
            var x = new double[n][];
            for (int t = 0; t < n; t++)
            {
                x[t] = new double[c];
                for (int j = 0; j < c; j++) x[t][j] = wte[ids[t] * c + j] + wpe[t * c + j];
            }
            for (int layer = 0; layer < _config.LayerCount; layer++)
            {
                string p = $"transformer.h.{layer}.";
                double[][] a = x.Select(row => LayerNorm(row, p + "ln_1")).ToArray();
                double[][] attention = Attention(a, p + "attn.");
                for (int t = 0; t < n; t++) x[t] = Add(x[t], attention[t]);
                for (int t = 0; t < n; t++)
                {
                    double[] m = LayerNorm(x[t], p + "ln_2");
                    double[] inner = Affine(m, p + "mlp.c_fc").Select(GeluNew).ToArray();
                    x[t] = Add(x[t], Affine(inner, p + "mlp.c_proj"));
                }
            }
            double[][] hidden = x.Select(row => LayerNorm(row, "transformer.ln_f")).ToArray();
            double[][] logits = hidden.Select(z =>
            {
                var l = new double[v];
                for (int k = 0; k < v; k++)
                    for (int j = 0; j < c; j++) l[k] += z[j] * wte[k * c + j];
                return l;
            }).ToArray();
            return (logits, hidden);
        }

        private double[][] Attention(double[][] a, string prefix)
        {
            int n = a.Length, c = _config.HiddenSize, heads = _config.HeadCount, d = c / heads;
            double[][] qkv = a.Select(row => Affine(row, prefix + "c_attn")).ToArray();
            var merged = new double[n][];
            for (int t = 0; t < n; t++)
            {
                merged[t] = new double[c];
                for (int h = 0; h < heads; h++)
                {
                    // q = qkv[0, C), k = qkv[C, 2C), v = qkv[2C, 3C); head h owns columns [h d, (h + 1) d) of each.
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int j = 0; j < d; j++) dot += qkv[t][h * d + j] * qkv[s][c + h * d + j];
                        scores[s] = dot / Math.Sqrt(d);
                    }
                    double max = scores.Max();
                    double[] e = scores.Select(s => Math.Exp(s - max)).ToArray();
                    double sum = e.Sum();
                    for (int s = 0; s <= t; s++)
                        for (int j = 0; j < d; j++) merged[t][h * d + j] += e[s] / sum * qkv[s][2 * c + h * d + j];
                }
            }
            return merged.Select(row => Affine(row, prefix + "c_proj")).ToArray();
        }

        private double[] LayerNorm(double[] x, string prefix)
        {
            double[] w = _w[prefix + ".weight"], b = _w[prefix + ".bias"];
            double mean = x.Average();
            double variance = x.Sum(u => (u - mean) * (u - mean)) / x.Length;
            return x.Select((u, j) => (u - mean) / Math.Sqrt(variance + _config.LayerNormEpsilon) * w[j] + b[j]).ToArray();
        }

        /// <summary>Hugging Face Conv1D: y = x W + b with W stored [in, out].</summary>
        private double[] Affine(double[] x, string prefix)
        {
            double[] w = _w[prefix + ".weight"], b = _w[prefix + ".bias"];
            int outputs = b.Length;
            var y = (double[])b.Clone();
            for (int i = 0; i < x.Length; i++)
                for (int o = 0; o < outputs; o++) y[o] += x[i] * w[i * outputs + o];
            return y;
        }

        private static double[] Add(double[] a, double[] b) => a.Select((u, j) => u + b[j]).ToArray();

        private static double GeluNew(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }
}
