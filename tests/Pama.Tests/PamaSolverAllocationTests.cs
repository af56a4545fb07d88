using Xunit;

namespace Pama.Tests;

/// <summary>The span and batched solvers allocate nothing on the managed heap.</summary>
public sealed class PamaSolverAllocationTests
{
    [Fact]
    public void SpanSolveAllocatesZeroBytes()
    {
        double[][] inputs =
        [
            [3.0, 1.0, 2.0, 1.0, 8.0, 9.0, 1.0, 4.0],
            [-3.0, -1.5, -2.0],
            [2.0, -1.0, 0.5, -1.0, 2.0],
            [2.0, 0.0, -1.0],
            Enumerable.Range(0, 1024).Select(i => (double)(i - 300)).ToArray(),
        ];
        var weights = inputs.Select(a => new double[a.Length]).ToArray();
        double checksum = 0.0;
        for (int k = 0; k < inputs.Length; k++)
        {
            checksum += PamaSolver.Solve(inputs[k], weights[k]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 1_000; repeat++)
        {
            for (int k = 0; k < inputs.Length; k++)
            {
                checksum += PamaSolver.Solve(inputs[k], weights[k]);
            }
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(1001 * (1.0 - 1.5), checksum); // s* per round: 1, -1.5, 0, 0, 0.
    }

    [Fact]
    public void BatchedSolveAllocatesZeroBytes()
    {
        const int n = 4;
        const int rows = 1_003;
        var statistics = Enumerable.Range(0, rows * n).Select(i => (double)((i * 7 % 11) - 5)).ToArray();
        var values = new double[rows];
        var weights = new double[rows * n];
        PamaSolver.SolveBatch(statistics, n, values, weights);
        PamaSolver.SolveBatch(statistics, n, values);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int repeat = 0; repeat < 20; repeat++)
        {
            PamaSolver.SolveBatch(statistics, n, values, weights);
            PamaSolver.SolveBatch(statistics, n, values);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
