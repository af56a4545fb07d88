using Pama.TorchSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using KeptAdamW = Pama.TorchSharp.Training.Optimizers.AdamW;

namespace Pama.TorchSharp.Tests.Training.Optimizers;

#pragma warning disable RS0030 // TorchSharp's AdamW is the reference here; no other thread forces collections in these tests.

/// <summary>The Scalar-safe AdamW against TorchSharp's AdamW (bitwise) and a float64 reference of the formula.</summary>
public sealed class AdamWTests
{
    private static readonly long[][] Shapes = [[3, 4], [5], [2, 3, 2]];

    /// <summary>Float64 parameters of <see cref="Shapes"/> drawn from <paramref name="seed"/>; the last one never gets a gradient.</summary>
    private static Parameter[] Parameters(long seed)
    {
        using var generator = new Generator((ulong)seed);
        return [.. Shapes.Select(s => new Parameter(randn(s, ScalarType.Float64, generator: generator))).Append(new Parameter(randn([2], ScalarType.Float64, generator: generator)))];
    }

    /// <summary>Gives every parameter but the last the gradient of step <paramref name="step"/> (the same for every optimizer under test).</summary>
    private static void SetGradients(Parameter[] parameters, int step)
    {
        using var generator = new Generator((ulong)(100 + step));
        for (int i = 0; i < parameters.Length - 1; i++)
        {
            using Tensor g = randn(parameters[i].shape, ScalarType.Float64, generator: generator);
            parameters[i].grad = g.clone();
        }
    }

    private static double[] Flat(Parameter p) => p.detach().contiguous().data<double>().ToArray();

    public static TheoryData<double, bool, bool> Settings() => new()
    {
        { 0.0, false, false },
        { 0.01, false, false },
        { 0.1, true, false },
        { 0.01, false, true },
        { 0.05, true, true },
    };

    [Theory]
    [MemberData(nameof(Settings))]
    public void MatchesTorchSharpsAdamWBitwiseThroughStepsAndLearningRateChanges(double weightDecay, bool amsgrad, bool maximize)
    {
        Parameter[] ours = Parameters(1), theirs = Parameters(1);
        using var kept = new KeptAdamW(ours, lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: weightDecay, amsgrad: amsgrad, maximize: maximize);
        using var reference = optim.AdamW(theirs, lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: weightDecay, amsgrad: amsgrad, maximize: maximize);
        var schedule = LearningRateSchedule.LinearWarmupDecay(warmupSteps: 2, totalSteps: 7);

        for (int step = 0; step < 6; step++)
        {
            schedule.Apply(kept, step);
            schedule.Apply(reference, step);
            SetGradients(ours, step);
            SetGradients(theirs, step);
            kept.step();
            reference.step();
            for (int i = 0; i < ours.Length; i++)
                Assert.Equal(Flat(theirs[i]), Flat(ours[i]));
        }
        Assert.NotEqual(Flat(Parameters(1)[0]), Flat(ours[0]));
        Assert.Equal(Flat(Parameters(1)[^1]), Flat(ours[^1]));   // no gradient, no decay, no step
    }

    [Fact]
    public void FollowsTheAdamWFormulaInFloat64()
    {
        const double lr = 0.02, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01;
        Parameter[] parameters = Parameters(2);
        double[] theta = Flat(parameters[0]);
        var m = new double[theta.Length];
        var v = new double[theta.Length];
        using var kept = new KeptAdamW(parameters, lr, beta1, beta2, eps, weightDecay);
        for (int step = 1; step <= 5; step++)
        {
            SetGradients(parameters, step);
            double[] g = parameters[0].grad!.contiguous().data<double>().ToArray();
            kept.step();
            for (int j = 0; j < theta.Length; j++)
            {
                theta[j] *= 1 - lr * weightDecay;
                m[j] = beta1 * m[j] + (1 - beta1) * g[j];
                v[j] = beta2 * v[j] + (1 - beta2) * g[j] * g[j];
                double mHat = m[j] / (1 - Math.Pow(beta1, step));
                double vHat = v[j] / (1 - Math.Pow(beta2, step));
                theta[j] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            double[] actual = Flat(parameters[0]);
            for (int j = 0; j < theta.Length; j++) Assert.Equal(theta[j], actual[j], 1e-12);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StateSavedByEitherLoadsIntoTheOther(bool amsgrad)
    {
        Parameter[] a = Parameters(3), b = Parameters(3), c = Parameters(3);
        using var torchSharps = optim.AdamW(a, lr: 0.01, weight_decay: 0.01, amsgrad: amsgrad);
        for (int step = 0; step < 3; step++)
        {
            SetGradients(a, step);
            torchSharps.step();
        }
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) torchSharps.save_state_dict(writer);

        // Into ours: the same parameters, then one more step on each side.
        using (no_grad()) for (int i = 0; i < a.Length; i++) b[i].copy_(a[i]);
        using var kept = new KeptAdamW(b, lr: 0.5, weight_decay: 0.3, amsgrad: amsgrad);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true)) kept.load_state_dict(reader);
        SetGradients(a, 3);
        SetGradients(b, 3);
        torchSharps.step();
        kept.step();
        for (int i = 0; i < a.Length; i++) Assert.Equal(Flat(a[i]), Flat(b[i]));

        // And back: ours saves, TorchSharp's loads.
        stream.SetLength(0);
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) kept.save_state_dict(writer);
        using (no_grad()) for (int i = 0; i < a.Length; i++) c[i].copy_(b[i]);
        using var again = optim.AdamW(c, lr: 0.5, amsgrad: amsgrad);
        stream.Position = 0;
        using (var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true)) again.load_state_dict(reader);
        SetGradients(b, 4);
        SetGradients(c, 4);
        kept.step();
        again.step();
        for (int i = 0; i < b.Length; i++) Assert.Equal(Flat(b[i]), Flat(c[i]));
    }
}
