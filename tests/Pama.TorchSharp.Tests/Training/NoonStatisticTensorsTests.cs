using Pama.Statistics;
using Pama.TorchSharp.Training.Methods;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>The tensor Noon statistic equals the core span implementation on the same data.</summary>
public sealed class NoonStatisticTensorsTests
{
    [Theory]
    [InlineData(0.2)]
    [InlineData(0.05)]
    public void TensorStatisticEqualsCoreNoonStatistic(double epsilon)
    {
        using var generator = new Generator(3);
        Tensor advantages = randn([4, 7, 3], ScalarType.Float64, generator: generator);
        Tensor ratios = randn([4, 7], ScalarType.Float64, generator: generator).Times(0.3).exp();
        Tensor mask = tensor(new double[]
        {
            1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 0, 0, 0, 0,
            1, 0, 0, 0, 0, 0, 0,
            1, 1, 1, 1, 1, 1, 0,
        }, [4, 7], ScalarType.Float64);

        Tensor perToken = NoonStatisticTensors.PerToken(NoonStatisticTensors.Clip(advantages), ratios, mask, epsilon);
        double[] sums = TinyModels.Values(NoonStatisticTensors.PerBatchSums(perToken, mask));
        double[] batch = [.. sums[..3].Select(v => v / sums[3])];
        double[] sequence = TinyModels.Values(NoonStatisticTensors.PerSequence(perToken, mask));

        double[] a = TinyModels.Values(advantages), u = TinyModels.Values(ratios), m = TinyModels.Values(mask);
        var expected = new double[3];
        NoonStatistic.Compute(a, u, m, epsilon, expected);
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], batch[i], 14);
        for (int b = 0; b < 4; b++)
        {
            NoonStatistic.Compute(a.AsSpan(b * 21, 21), u.AsSpan(b * 7, 7), m.AsSpan(b * 7, 7), epsilon, expected);
            for (int i = 0; i < 3; i++) Assert.Equal(expected[i], sequence[b * 3 + i], 14);
        }
    }
}
