using System.Security.Cryptography;
using System.Text;
using Pama.TorchSharp.Distributed;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Distributed;

/// <summary>
/// The ranks' agreement check before the first collective: ranks that state the same facts pass; a rank that differs makes
/// every rank fail with a message naming the fact and both values; checksums see one flipped bit. The ranks are threads
/// summing through shared memory, so the check runs without MPI.
/// </summary>
public sealed class RankAgreementTests
{
    /// <summary>A group of threads: each sum waits for every rank, adds their buffers, and waits again before returning.</summary>
    private sealed class ThreadGroup(int rank, int size, Barrier barrier, double[][] buffers) : IProcessGroup
    {
        public int Rank => rank;

        public int Size => size;

        public void AllReduceSum(Span<double> values)
        {
            buffers[rank] = values.ToArray();
            barrier.SignalAndWait();
            var sum = new double[values.Length];
            foreach (double[] buffer in buffers)
                for (int i = 0; i < sum.Length; i++) sum[i] += buffer[i];
            barrier.SignalAndWait();
            sum.CopyTo(values);
        }

        public static Exception?[] Run(int size, Action<IProcessGroup> body)
        {
            using var barrier = new Barrier(size);
            var buffers = new double[size][];
            var errors = new Exception?[size];
            Task[] ranks = [.. Enumerable.Range(0, size).Select(r => Task.Run(() =>
            {
                try { body(new ThreadGroup(r, size, barrier, buffers)); }
                catch (Exception e) { errors[r] = e; }
            }))];
            Assert.True(Task.WaitAll(ranks, TimeSpan.FromSeconds(30)), "a rank hung");
            return errors;
        }
    }

    private static RankAgreement.Fact[] Facts(long step, string method, double checksum) =>
    [
        new("step counter", step, $"step {step}"),
        new("method", RankAgreement.Hash(method), $"method '{method}'"),
        new("checksum of the parameters and generator state", checksum, "parameters"),
    ];

    [Fact]
    public void RanksStatingTheSameFactsPass()
    {
        Exception?[] errors = ThreadGroup.Run(3, group => RankAgreement.Verify(group, Facts(10, "pama-batch", 12345)));
        Assert.All(errors, Assert.Null);
    }

    [Theory]
    [InlineData(1, "step counter", "rank 0 has 10, rank 1 has 0")]
    [InlineData(2, "method", "rank 2 has")]
    [InlineData(3, "checksum of the parameters and generator state", "rank 1 has 54321")]
    public void ARankThatDiffersMakesEveryRankFailNamingTheFactAndBothValues(int differs, string fact, string values)
    {
        Exception?[] errors = ThreadGroup.Run(3, group => RankAgreement.Verify(group, differs switch
        {
            1 => Facts(group.Rank == 1 ? 0 : 10, "pama-batch", 12345),
            2 => Facts(10, group.Rank == 2 ? "morlhf" : "pama-batch", 12345),
            _ => Facts(10, "pama-batch", group.Rank == 1 ? 54321 : 12345),
        }));
        foreach (Exception? error in errors)
        {
            var failure = Assert.IsType<InvalidOperationException>(error);
            Assert.Contains($"disagree on the {fact}", failure.Message);
            Assert.Contains(values, failure.Message);
        }
    }

    [Fact]
    public void TheChecksumSeesOneFlippedBitAndTheHashIsSha256sFirst48Bits()
    {
        using Tensor a = tensor(Enumerable.Range(0, 100).Select(i => (float)i).ToArray());
        using Tensor b = a.clone();
        Assert.Equal(RankAgreement.Checksum([a]), RankAgreement.Checksum([b]));
        b.bytes[17] ^= 0x01;
        Assert.NotEqual(RankAgreement.Checksum([a]), RankAgreement.Checksum([b]));

        byte[] digest = SHA256.HashData(Encoding.UTF8.GetBytes("pama-batch"));
        double expected = 0;
        for (int i = 0; i < 6; i++) expected = expected * 256 + digest[i];
        Assert.Equal(expected, RankAgreement.Hash("pama-batch"));
        Assert.True(expected < (1L << 48));
    }
}
