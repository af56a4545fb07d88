using Pama.TorchSharp.Models;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models.Classifiers;

/// <summary>
/// Classifier logits against the float64 logits transformers 5.17 computed for tiny checkpoints it wrote
/// (TestData/hf, copied unchanged from the shared fixtures).
/// </summary>
public sealed class ClassifierFixtureTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "hf", name);

    [Theory]
    [InlineData("gpt2-reward-model", typeof(Gpt2ForSequenceClassification), 1)]
    [InlineData("distilbert-sentiment", typeof(DistilBertForSequenceClassification), 2)]
    public void Float64LogitsMatchTransformers(string name, Type expectedType, int labels)
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(Fixture(name), dtype: ScalarType.Float64);
        Assert.IsType(expectedType, model);
        Assert.Equal(labels, model.LabelCount);
        Dictionary<string, Tensor> expected = SafeTensors.Load(Path.Combine(Fixture(name), "expected.safetensors"));
        try
        {
            using Tensor logits = model.call(expected["input_ids"].to(ScalarType.Int64), expected["attention_mask"]);
            Tensor want = expected["logits"];
            Assert.Equal(want.shape, logits.shape);
            double[] got = logits.data<double>().ToArray(), reference = want.to(ScalarType.Float64).data<double>().ToArray();
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - reference[i]) <= 1e-9, $"{name} logit {i}: {got[i]} vs {reference[i]}");
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void Float32LogitsAreCloseToTheFloat64Reference()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(Fixture("distilbert-sentiment"));
        Assert.Equal(ScalarType.Float32, model.DType);
        Dictionary<string, Tensor> expected = SafeTensors.Load(Path.Combine(Fixture("distilbert-sentiment"), "expected.safetensors"));
        try
        {
            using Tensor logits = model.call(expected["input_ids"].to(ScalarType.Int64), expected["attention_mask"]);
            Assert.True(logits.to(ScalarType.Float64).allclose(expected["logits"].to(ScalarType.Float64), rtol: 0, atol: 1e-4));
        }
        finally
        {
            foreach (Tensor t in expected.Values) t.Dispose();
        }
    }

    [Fact]
    public void PaddingAfterTheLastTokenDoesNotChangeTheScore()
    {
        // transformers reads GPT-2 classifiers at the last non-pad token: appending pads must not move the score.
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(Fixture("gpt2-reward-model"), dtype: ScalarType.Float64);
        int pad = model.PadTokenId!.Value;
        using Tensor ids = tensor(new long[] { 5, 17, 42, 99 }).view(1, 4);
        using Tensor mask = ones(1, 4, ScalarType.Int64);
        using Tensor padded = tensor(new long[] { 5, 17, 42, 99, pad, pad }).view(1, 6);
        using Tensor paddedMask = tensor(new long[] { 1, 1, 1, 1, 0, 0 }).view(1, 6);
        using Tensor a = model.call(ids, mask), b = model.call(padded, paddedMask);
        Assert.True(a.allclose(b, rtol: 0, atol: 1e-12));
    }

    [Fact]
    public void LabelsComeFromId2Label()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(Fixture("gpt2-reward-model"));
        Assert.Equal(["LABEL_0"], model.Labels);
        Assert.Equal(0, model.LabelIndex("LABEL_0"));
        var error = Assert.Throws<ArgumentException>(() => model.LabelIndex("POSITIVE"));
        Assert.Contains("LABEL_0", error.Message);
    }

    [Fact]
    public void DistilBertPaddingAfterTheTextDoesNotChangeTheLogitsAndAnAllPaddingRowStaysFinite()
    {
        using SequenceClassifier model = AutoModelForSequenceClassification.FromPretrained(Fixture("distilbert-sentiment"), dtype: ScalarType.Float64);
        using Tensor ids = tensor(new long[] { 2, 17, 42, 3, 0, 0, 0, 0, 0, 0 }).view(2, 5);
        using Tensor mask = tensor(new long[] { 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }).view(2, 5);
        using Tensor alone = model.call(ids[0, ..4].unsqueeze(0), ones(1, 4, ScalarType.Int64));
        using Tensor batch = model.call(ids, mask);
        Assert.True(batch[0].allclose(alone[0], rtol: 0, atol: 1e-12));
        Assert.True(batch.isfinite().all().item<bool>());
    }
}
