using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pama.Internal;

/// <summary>Vectorized float64 kernels used by the weightings.</summary>
internal static class VectorMath
{
    /// <summary>Σₖ xₖ yₖ with four independent 256-bit accumulators (x and y of equal length).</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        ref double xs = ref MemoryMarshal.GetReference(x);
        ref double ys = ref MemoryMarshal.GetReference(y);
        int n = x.Length;
        int i = 0;
        double result = 0.0;
        if (Vector256.IsHardwareAccelerated && n >= Vector256<double>.Count)
        {
            var acc0 = Vector256<double>.Zero;
            var acc1 = Vector256<double>.Zero;
            var acc2 = Vector256<double>.Zero;
            var acc3 = Vector256<double>.Zero;
            const int Step = 4 * 4;
            for (; i <= n - Step; i += Step)
            {
                acc0 = MultiplyAdd(Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), acc0);
                acc1 = MultiplyAdd(Vector256.LoadUnsafe(ref xs, (nuint)(i + 4)), Vector256.LoadUnsafe(ref ys, (nuint)(i + 4)), acc1);
                acc2 = MultiplyAdd(Vector256.LoadUnsafe(ref xs, (nuint)(i + 8)), Vector256.LoadUnsafe(ref ys, (nuint)(i + 8)), acc2);
                acc3 = MultiplyAdd(Vector256.LoadUnsafe(ref xs, (nuint)(i + 12)), Vector256.LoadUnsafe(ref ys, (nuint)(i + 12)), acc3);
            }

            for (; i <= n - Vector256<double>.Count; i += Vector256<double>.Count)
            {
                acc0 = MultiplyAdd(Vector256.LoadUnsafe(ref xs, (nuint)i), Vector256.LoadUnsafe(ref ys, (nuint)i), acc0);
            }

            result = Vector256.Sum((acc0 + acc1) + (acc2 + acc3));
        }

        for (; i < n; i++)
        {
            result += Unsafe.Add(ref xs, i) * Unsafe.Add(ref ys, i);
        }

        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> MultiplyAdd(Vector256<double> a, Vector256<double> b, Vector256<double> addend) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, addend) : (a * b) + addend;
}
