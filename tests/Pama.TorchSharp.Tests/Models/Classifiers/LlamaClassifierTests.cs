using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Classifiers;

/// <summary>
/// Llama / Qwen2 classifiers built from transformers' causal LM fixtures: a <c>score</c> layer made of rows of the
/// output layer must give, at the last token of an unpadded row, the logits transformers computed for those
/// vocabulary ids (the classifier and the LM share the decoder and the final norm).
/// </summary>
public sealed class LlamaClassifierTests
{
    private static readonly long[] LabelTokens = [5, 9, 100];

    [Theory]
    [InlineData("llama", "lm_head.weight")]
    [InlineData("qwen2", "model.embed_tokens.weight")]
    public void ScoreRowsOfTheOutputLayerReproduceTheLanguageModelLogits(string fixture, string outputLayer)
    {
        using var dir = new TestDirectory();
        string source = ClassifierFixtureTests.Fixture(fixture);
        JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray("LlamaForSequenceClassification");
        config["id2label"] = new JsonObject { ["0"] = "A", ["1"] = "B", ["2"] = "POSITIVE" };
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        Dictionary<string, Tensor> weights = SafeTensors.Load(Path.Combine(source, "model.safetensors"));
        Dictionary<string, Tensor> expected = SafeTensors.Load(Path.Combine(source, "expected.safetensors"));
        try
        {
            using Tensor score = weights[outputLayer].index_select(0, tensor(LabelTokens));
            var tensors = weights.Where(p => p.Key != "lm_head.weight").Append(new("score.weight", score)).ToList();
            SafeTensors.Save(dir.File("model.safetensors"), tensors);

            using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(dir.Path, dtype: ScalarType.Float64);
            Assert.IsType<LlamaForSequenceClassification>(model);
            Assert.Equal(2, model.LabelIndex("POSITIVE"));
            Tensor ids = expected["input_ids"], mask = expected["attention_mask"];
            int checkedRows = 0;
            for (long b = 0; b < ids.shape[0]; b++)
            {
                if (mask[b].sum().item<long>() != mask.shape[1]) continue;   // left-padded rows use other positions in the LM oracle
                using Tensor logits = model.call(ids[b].unsqueeze(0), mask[b].unsqueeze(0));
                using Tensor want = expected["logits"][b, -1].index_select(0, tensor(LabelTokens));
                double[] got = logits.data<double>().ToArray(), reference = want.data<double>().ToArray();
                for (int i = 0; i < got.Length; i++)
                    Assert.True(Math.Abs(got[i] - reference[i]) <= 1e-9, $"{fixture} row {b} label {i}: {got[i]} vs {reference[i]}");
                checkedRows++;
            }
            Assert.True(checkedRows > 0, "the fixture has no unpadded row");
        }
        finally
        {
            foreach (Tensor t in weights.Values.Concat(expected.Values)) t.Dispose();
        }
    }
}
