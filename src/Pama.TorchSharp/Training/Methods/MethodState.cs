using Pama.TorchSharp.Distributed;
using Pama.Weightings;

namespace Pama.TorchSharp.Training.Methods;

/// <summary>The trainer's handling of a stateful weighting's state: snapshots for refused steps, and the check across ranks.</summary>
internal static class MethodState
{
    /// <summary>A copy of the state, or <c>null</c> for a stateless weighting.</summary>
    public static double[]? Snapshot(IWeighting weighting)
    {
        if (weighting is not IStatefulWeighting stateful) return null;
        var state = new double[stateful.StateLength];
        stateful.SaveState(state);
        return state;
    }

    /// <summary>Puts a snapshot back (nothing for a stateless weighting).</summary>
    public static void Restore(IWeighting weighting, double[]? snapshot)
    {
        if (weighting is IStatefulWeighting stateful && snapshot is not null) stateful.LoadState(snapshot);
    }

    /// <summary>
    /// Every rank must hold the same state, or the ranks' weights (and then their parameters) drift apart: each rank's state is
    /// gathered (one sum of a vector with one slot per rank) and compared bitwise with rank 0's.
    /// </summary>
    /// <exception cref="InvalidOperationException">The states differ (the message names the method and the first entry).</exception>
    public static void CheckIdenticalOnEveryRank(IWeighting weighting, IProcessGroup group, string method)
    {
        if (group.Size == 1 || Snapshot(weighting) is not { } state || state.Length == 0) return;
        int length = state.Length;
        var slots = new double[group.Size * length];
        state.CopyTo(slots, group.Rank * length);
        group.AllReduceSum(slots);
        for (int r = 1; r < group.Size; r++)
            for (int k = 0; k < length; k++)
                if (BitConverter.DoubleToInt64Bits(slots[r * length + k]) != BitConverter.DoubleToInt64Bits(slots[k]))
                    throw new InvalidOperationException(
                        $"The state of method {method} differs between ranks 0 and {r} at entry {k} ({slots[k]} vs {slots[r * length + k]}); " +
                        "every rank must start from the same checkpoint and observe the same rewards.");
    }
}
