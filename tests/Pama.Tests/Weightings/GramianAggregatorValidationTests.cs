using MathNet.Numerics.LinearAlgebra;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>Every Gramian aggregator refuses a missing, non-square, non-finite or asymmetric Gramian with a message naming the entry.</summary>
public sealed class GramianAggregatorValidationTests
{
    public static TheoryData<string> Names => ["UPGrad", "DualProj", "PCGrad", "CAGrad", "IMTL-G", "Aligned-MTL", "Nash-MTL"];

    private static IWeighting Create(string name) => name switch
    {
        "UPGrad" => new UpgradWeighting(),
        "DualProj" => new DualProjWeighting(),
        "PCGrad" => new PcGradWeighting(seed: 0),
        "CAGrad" => new CaGradWeighting(0.4),
        "IMTL-G" => new ImtlGWeighting(),
        "Aligned-MTL" => new AlignedMtlWeighting(),
        "Nash-MTL" => new NashMtlWeighting(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void BadGramiansAreNamed(string name)
    {
        var weighting = Create(name);
        Assert.Equal(WeightingInputs.Gramian, weighting.Reads);

        var missing = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromObjectiveCount(2), new double[2]));
        Assert.Contains(name, missing.Message, StringComparison.Ordinal);

        var nan = Matrix<double>.Build.DenseIdentity(3);
        nan[1, 2] = double.NaN;
        var nanError = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromGramian(nan), new double[3]));
        Assert.Contains("(1, 2)", nanError.Message, StringComparison.Ordinal);
        Assert.Contains("NaN", nanError.Message, StringComparison.Ordinal);

        var asymmetric = Matrix<double>.Build.DenseIdentity(3);
        asymmetric[0, 1] = 0.5;
        var asymmetricError = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromGramian(asymmetric), new double[3]));
        Assert.Contains("(0, 1)", asymmetricError.Message, StringComparison.Ordinal);

        var negative = Matrix<double>.Build.DenseIdentity(2);
        negative[1, 1] = -1.0;
        var negativeError = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromGramian(negative), new double[2]));
        Assert.Contains("(1, 1)", negativeError.Message, StringComparison.Ordinal);

        var length = Assert.Throws<ArgumentException>(() => weighting.ComputeWeights(WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(3)), new double[2]));
        Assert.Contains("length 2", length.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => WeightingInput.FromGramian(Matrix<double>.Build.Dense(2, 3)));
    }

    [Fact]
    public void BadPreferencesAreNamed()
    {
        var error = Assert.Throws<ArgumentException>(() => new UpgradWeighting([0.5, -1.0]));
        Assert.Contains("objective 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DualProjWeighting([0.0, 0.0]));
        Assert.Throws<ArgumentException>(() => new AlignedMtlWeighting([double.NaN, 1.0]));
        var mismatch = Assert.Throws<ArgumentException>(() =>
            new UpgradWeighting([0.5, 0.5]).ComputeWeights(WeightingInput.FromGramian(Matrix<double>.Build.DenseIdentity(3)), new double[3]));
        Assert.Contains("2 preferences", mismatch.Message, StringComparison.Ordinal);
    }
}
