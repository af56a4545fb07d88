using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using KeptAdamW = Pama.TorchSharp.Training.Optimizers.AdamW;

namespace Pama.TorchSharp.Tests.Training.Optimizers;

/// <summary>
/// The Scalar-safe AdamW steps thousands of times while another thread forces gen0 collections, with every option that
/// changes its code path (weight decay, AMSGrad, maximize); no step may fail. (TorchSharp's own AdamW fails here: its
/// temporary Scalars are freed while libtorch reads them.)
/// </summary>
[Collection(ForcedCollectionsCollection.Name)]
public sealed class AdamWCollectionStressTests(ITestOutputHelper output)
{
    [Fact]
    public void StepsWhileAnotherThreadForcesCollections()
    {
        double seconds = double.TryParse(Environment.GetEnvironmentVariable("PAMA_SCALAR_STRESS_SECONDS"), out double s) && s > 0 ? s : 8;
        using var generator = new Generator(5);
        Parameter[] parameters = [.. Enumerable.Range(0, 8).Select(i => new Parameter(randn([16, 8], ScalarType.Float32, generator: generator)))];
        foreach (Parameter p in parameters)
        {
            using Tensor g = randn(p.shape, ScalarType.Float32, generator: generator);
            p.grad = g.clone();
        }
        OptimizerHelper[] optimizers =
        [
            new KeptAdamW(parameters[..3], lr: 1e-3, weight_decay: 0.01),
            new KeptAdamW(parameters[3..6], lr: 1e-3, weight_decay: 0.1, amsgrad: true),
            new KeptAdamW(parameters[6..], lr: 1e-3, maximize: true),
        ];

        using var stop = new CancellationTokenSource();
        long collections = 0;
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                collections++;
                // Yield so a loaded machine still schedules the stepping thread between collections.
                Thread.Yield();
            }
        }) { IsBackground = true };
        collector.Start();

        int steps = 0, failures = 0;
        string? first = null;
        var clock = Stopwatch.StartNew();
        try
        {
            // At least the configured time and 500 steps, at most two minutes (a heavily loaded machine).
            while ((clock.Elapsed.TotalSeconds < seconds || steps < 500) && clock.Elapsed.TotalSeconds < 120)
            {
                foreach (OptimizerHelper optimizer in optimizers)
                {
                    try { optimizer.step(); }
                    catch (Exception e) { failures++; first ??= e.Message.Split('\n')[0]; }
                }
                steps++;
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
            foreach (OptimizerHelper optimizer in optimizers) optimizer.Dispose();
        }

        output.WriteLine($"{steps} steps of 3 optimizers in {clock.Elapsed.TotalSeconds:F1} s under {collections} forced gen0 collections; {failures} failed.");
        Assert.True(steps > 100, $"only {steps} steps ran");
        Assert.True(failures == 0, $"{failures} of {3 * steps} optimizer steps failed under {collections} forced gen0 collections; the first: {first}");
    }
}
