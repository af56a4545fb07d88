using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Reference;

/// <summary>Checks every stateful weighting must pass: resume from a saved state, rejected states change nothing.</summary>
internal static class StatefulWeightingChecks
{
    /// <summary>
    /// Observes <paramref name="rewards"/>[0 .. split) with <paramref name="original"/>, saves its state into
    /// <paramref name="resumed"/> (a freshly created twin), then observes the rest with both; after every step the
    /// weights and states must be bit-identical.
    /// </summary>
    public static void ResumeContinuesIdentically(IStatefulWeighting original, IStatefulWeighting resumed, double[][] rewards, int split)
    {
        int n = rewards[0].Length;
        for (int t = 0; t < split; t++)
        {
            original.Observe(WeightingInput.FromRewards(rewards[t]));
        }

        var state = new double[original.StateLength];
        original.SaveState(state);
        Assert.Equal(original.StateLength, resumed.StateLength);
        resumed.LoadState(state);

        var expected = new double[n];
        var actual = new double[n];
        var expectedState = new double[original.StateLength];
        var actualState = new double[original.StateLength];
        for (int t = split; t < rewards.Length; t++)
        {
            var input = WeightingInput.FromRewards(rewards[t]);
            original.Observe(input);
            resumed.Observe(input);
            double expectedValue = original.ComputeWeights(input, expected);
            double actualValue = resumed.ComputeWeights(input, actual);
            Assert.Equal(expected, actual);
            Assert.Equal(expectedValue, actualValue);
            original.SaveState(expectedState);
            resumed.SaveState(actualState);
            Assert.Equal(expectedState, actualState);
        }
    }

    /// <summary>LoadState refuses <paramref name="badState"/> with a message starting as given, and leaves the state as it was.</summary>
    public static void LoadRejects(IStatefulWeighting weighting, double[] badState, string messageStart)
    {
        var before = new double[weighting.StateLength];
        weighting.SaveState(before);
        var error = Assert.Throws<ArgumentException>(() => weighting.LoadState(badState));
        Assert.Equal("state", error.ParamName);
        Assert.StartsWith(messageStart, error.Message);
        var after = new double[weighting.StateLength];
        weighting.SaveState(after);
        Assert.Equal(before, after);
    }

    /// <summary>Observe refuses <paramref name="rewards"/> with a message starting as given, and leaves the state as it was.</summary>
    public static void ObserveRejects(IStatefulWeighting weighting, double[] rewards, string messageStart)
    {
        var before = new double[weighting.StateLength];
        weighting.SaveState(before);
        var error = Assert.Throws<ArgumentException>(() => weighting.Observe(WeightingInput.FromRewards(rewards)));
        Assert.Equal("input", error.ParamName);
        Assert.StartsWith(messageStart, error.Message);
        var after = new double[weighting.StateLength];
        weighting.SaveState(after);
        Assert.Equal(before, after);
    }

    /// <summary>Rewards for <paramref name="steps"/> steps of <paramref name="n"/> objectives, drifting upwards with noise.</summary>
    public static double[][] RewardPath(int seed, int steps, int n)
    {
        var random = new Random(seed);
        var path = new double[steps][];
        for (int t = 0; t < steps; t++)
        {
            path[t] = Enumerable.Range(0, n).Select(i => (0.05 * t * (i + 1)) + random.NextDouble() - 0.5 - i).ToArray();
        }

        return path;
    }
}
