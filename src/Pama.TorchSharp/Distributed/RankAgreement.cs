using Pama.TorchSharp.Tensors;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Distributed;

/// <summary>
/// Checks that every rank of a data-parallel run holds the same trainer state before the first collective of a step:
/// the same step counter, method, objectives, KL coefficient and a checksum of the parameters and generator state.
/// Ranks that disagree (one resumed from a checkpoint and another started over, different seeds or models) would
/// otherwise call different collectives, which fails far from the cause (a truncated message) or hangs.
/// </summary>
/// <remarks>
/// One sum of <c>Size × k</c> numbers: rank <c>r</c> writes its <c>k</c> facts into slots <c>r·k … r·k + k − 1</c> and zeros
/// elsewhere, so after the sum every rank sees every rank's facts exactly (<c>x + 0 = x</c>). Each fact is an exactly
/// representable double (integers below 2^53, or the value itself).
/// </remarks>
internal static class RankAgreement
{
    /// <summary>One fact a rank states about its state.</summary>
    /// <param name="Name">What it is, for the message (e.g. "step").</param>
    /// <param name="Value">Its value as an exact double.</param>
    /// <param name="Shown">How this rank shows it in the message (e.g. the method's name rather than its hash).</param>
    public readonly record struct Fact(string Name, double Value, string Shown);

    /// <summary>Exchanges <paramref name="facts"/> with every rank and throws if any rank's differ from rank 0's.</summary>
    /// <param name="group">The ranks.</param>
    /// <param name="facts">This rank's facts; every rank passes the same names in the same order.</param>
    /// <exception cref="InvalidOperationException">The ranks disagree; the message names the fact, the ranks and their values.</exception>
    public static void Verify(IProcessGroup group, IReadOnlyList<Fact> facts)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(facts);
        if (group.Size == 1) return;
        int k = facts.Count;
        var slots = new double[group.Size * k];
        for (int j = 0; j < k; j++) slots[group.Rank * k + j] = facts[j].Value;
        group.AllReduceSum(slots);
        for (int j = 0; j < k; j++)
        {
            double first = slots[j];
            for (int r = 1; r < group.Size; r++)
            {
                double value = slots[r * k + j];
                if (value.Equals(first)) continue;
                string mine = facts[j].Shown;
                throw new InvalidOperationException(
                    $"The ranks of this data-parallel run disagree on the {facts[j].Name} before the first collective: rank 0 has {Show(first)}, rank {r} has {Show(value)} " +
                    $"(this is rank {group.Rank}: {mine}). Every rank must build the same trainer and resume from the same checkpoint " +
                    "(call Load with rank 0's checkpoint file on every rank, or on none).");
            }
        }
    }

    /// <summary>A 48-bit checksum (SHA-256, truncated; exact as a double) of the bytes of <paramref name="tensors"/>, in order.</summary>
    public static double Checksum(IEnumerable<Tensor> tensors)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (NewDisposeScope())
        {
            foreach (Tensor t in tensors)
            {
                Tensor bytes = HostReads.Host(t);
                hash.AppendData(bytes.bytes);
            }
        }
        return Truncate(hash.GetHashAndReset());
    }

    /// <summary>A 48-bit hash (SHA-256, truncated; exact as a double) of <paramref name="text"/>, the same in every process.</summary>
    public static double Hash(string text) => Truncate(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static double Truncate(byte[] digest)
    {
        long value = 0;
        for (int i = 0; i < 6; i++) value = (value << 8) | digest[i];
        return value;
    }

    private static string Show(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
