using Pama.TorchSharp.Generation;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tensors;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Methods;
using Pama.TorchSharp.Training.Rollout;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>
/// Device-to-host reads (each one a wait for the device on a GPU), counted by <see cref="HostReadCounter"/> at the one place
/// the library makes them: a step's update makes a fixed number per minibatch plus at most two per micro-batch, none per row;
/// generation makes at most one per decode step plus one every <see cref="TextGenerator.CheckInterval"/> steps.
/// </summary>
public sealed class HostReadTests
{
    private static readonly string[] Seven = ["hello there", "a short one", "what is it?", "oh", "tea time now", "up", "i see a cat"];

    /// <summary>Reads made by <c>Step(rollout, rewards)</c> alone, on a rollout of <paramref name="prompts"/>.</summary>
    private static int UpdateReads(IMultiObjectiveMethod method, string[] prompts, MicroBatchSize? micro)
    {
        var options = TinyModels.Options(method) with { UpdateMicroBatch = micro };
        var (trainer, _) = TinyModels.Trainer(options, TinyModels.VowelsAndLength());
        using var _t = trainer;
        using var scope = NewDisposeScope();
        RolloutBatch rollout = trainer.Generate(prompts);
        Tensor rewards = trainer.Score(rollout);
        using var counter = HostReadCounter.Start();
        trainer.Step(rollout, rewards);
        return counter.Count;
    }

    [Theory]
    [InlineData("pama")]
    [InlineData("morlhf")]
    [InlineData("upgrad")]
    [InlineData("mgda-ub")]
    public void AnUpdateReadsAFixedNumberPerMinibatchAndAtMostTwoPerMicroBatch(string key)
    {
        int updates = TinyModels.Options().PpoEpochs * TinyModels.Options().MiniBatches;
        int three = UpdateReads(MethodCatalog.Create(key), Seven[..3], null);
        int seven = UpdateReads(MethodCatalog.Create(key), Seven, null);
        int split = UpdateReads(MethodCatalog.Create(key), Seven, MicroBatchSize.Rows(1));   // 7 micro-batches per update

        Assert.Equal(three, seven);                                         // nothing is read per row
        // Split, each update reads at most twice per micro-batch (7) beyond what the unsplit update reads outside its one pass.
        Assert.True(split - seven <= 2 * 7 * updates, $"{split - seven} more reads for 7 micro-batches in each of {updates} updates");
        Assert.True(split > seven, "the counter must see the micro-batches' forward passes");
    }

    [Fact]
    public void GenerationReadsAtMostOncePerDecodeStepAndOnceEveryCheckInterval()
    {
        using var scope = NewDisposeScope();
        Gpt2Model model = TinyModels.Gpt2(3);
        var (ids, mask) = PromptBatch.LeftPad([.. Seven.Select(p => TinyModels.Tokenizer.Encode(p))], 0, CPU);
        const int steps = 20;
        using var generator = new Generator(1);
        using var counter = HostReadCounter.Start();
        GenerationResult result = TextGenerator.Generate(model, ids, mask, new SamplingOptions { MaxNewTokens = steps }, generator);
        Assert.Equal(steps, result.ResponseLength);   // no end token: every step is taken
        // The prompt checks and the prefill's id check, then per decode step at most the model's id check (skipped on an
        // accelerator, where a read is a wait) and one state read every CheckInterval steps.
        int allowed = 3 + (steps - 1) + (steps + TextGenerator.CheckInterval - 1) / TextGenerator.CheckInterval;
        Assert.True(counter.Count <= allowed, $"{counter.Count} reads for {steps} tokens, allowed {allowed}");
        Assert.True(counter.Count >= (steps + TextGenerator.CheckInterval - 1) / TextGenerator.CheckInterval);
    }

    [Fact]
    public void CountersNestAndCountNothingOnceClosed()
    {
        using Tensor t = ones(3);
        using (var outer = HostReadCounter.Start())
        {
            HostReads.Doubles(t);
            using (var inner = HostReadCounter.Start())
            {
                HostReads.Double(t.sum());
                Assert.Equal(1, inner.Count);
            }
            Assert.Equal(2, outer.Count);
            var closed = HostReadCounter.Start();
            closed.Dispose();
            HostReads.Doubles(t);
            Assert.Equal(0, closed.Count);
            Assert.Equal(3, outer.Count);
        }
    }
}
