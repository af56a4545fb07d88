using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tensors;

/// <summary>
/// Tensor arithmetic with numbers that keeps every <see cref="Scalar"/> alive until libtorch has read it.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 frees a <see cref="Scalar"/> in its finalizer and passes only its handle to native code, so a
/// temporary made by an implicit conversion (<c>x.mul(0.5)</c>, and inside TorchSharp <c>a + b</c>, <c>add(b)</c>,
/// <c>square()</c>, <c>arange(n)</c>) can be freed by a garbage collection on another thread while libtorch reads it.
/// Each method here creates its Scalar explicitly and disposes it after the call; the constants are static, so never
/// collected. The banned-API list (BannedSymbols.txt) keeps the unsafe forms out; docs/scalar-safety.md explains.
/// </remarks>
internal static class KeptScalars
{
    /// <summary>The alpha of a plain addition, as TorchSharp's <c>add(b)</c> passes it (Int32 1); never collected.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>The exponent of <see cref="Square"/>, as TorchSharp's <c>square()</c> passes it (Int32 2); never collected.</summary>
    public static readonly Scalar Two = 2.ToScalar();

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a += b</c> in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><c>a + value</c>.</summary>
    public static Tensor Plus(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.add(s, One);
    }

    /// <summary><c>a + value</c> for integer tensors.</summary>
    public static Tensor Plus(this Tensor a, long value)
    {
        using Scalar s = value.ToScalar();
        return a.add(s, One);
    }

    /// <summary><c>a - value</c>.</summary>
    public static Tensor Minus(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.sub(s);
    }

    /// <summary><c>a - value</c> for integer tensors.</summary>
    public static Tensor Minus(this Tensor a, long value)
    {
        using Scalar s = value.ToScalar();
        return a.sub(s);
    }

    /// <summary><c>a * value</c>.</summary>
    public static Tensor Times(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a * value</c> for integer tensors (keeps their type).</summary>
    public static Tensor Times(this Tensor a, long value)
    {
        using Scalar s = value.ToScalar();
        return a.mul(s);
    }

    /// <summary><c>a / value</c>.</summary>
    public static Tensor DividedBy(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.div(s);
    }

    /// <summary><c>value / a</c>.</summary>
    public static Tensor Into(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.reciprocal().mul(s);
    }

    /// <summary><c>a^exponent</c>.</summary>
    public static Tensor Pow(this Tensor a, double exponent)
    {
        using Scalar s = exponent.ToScalar();
        return a.pow(s);
    }

    /// <summary><c>a²</c>, exactly as TorchSharp's <c>square()</c> (<c>pow(2)</c>).</summary>
    public static Tensor Square(this Tensor a) => a.pow(Two);

    /// <summary><c>max(a, min)</c>.</summary>
    public static Tensor ClampMin(this Tensor a, double min)
    {
        using Scalar s = min.ToScalar();
        return a.clamp_min(s);
    }

    /// <summary><c>max(a, min)</c> for integer tensors (keeps their type).</summary>
    public static Tensor ClampMin(this Tensor a, long min)
    {
        using Scalar s = min.ToScalar();
        return a.clamp_min(s);
    }

    /// <summary><c>min(a, max)</c>.</summary>
    public static Tensor ClampMax(this Tensor a, double max)
    {
        using Scalar s = max.ToScalar();
        return a.clamp_max(s);
    }

    /// <summary><c>a</c> clamped to [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Tensor Clamp(this Tensor a, double min, double max)
    {
        using Scalar lo = min.ToScalar(), hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary><c>a</c> clamped to [<paramref name="min"/>, <paramref name="max"/>] for integer tensors.</summary>
    public static Tensor Clamp(this Tensor a, long min, long max)
    {
        using Scalar lo = min.ToScalar(), hi = max.ToScalar();
        return a.clamp(lo, hi);
    }

    /// <summary><c>a &gt; value</c>.</summary>
    public static Tensor Gt(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.gt(s); }

    /// <summary><c>a &gt;= value</c>.</summary>
    public static Tensor Ge(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.ge(s); }

    /// <summary><c>a &lt; value</c>.</summary>
    public static Tensor Lt(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.lt(s); }

    /// <summary><c>a &lt;= value</c>.</summary>
    public static Tensor Le(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.le(s); }

    /// <summary><c>a != value</c>.</summary>
    public static Tensor Ne(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.ne(s); }

    /// <summary><c>a == value</c>.</summary>
    public static Tensor Eq(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.eq(s); }

    /// <summary><c>a &gt;= value</c> for integer tensors (exact beyond 2⁵³).</summary>
    public static Tensor Ge(this Tensor a, long value) { using Scalar s = value.ToScalar(); return a.ge(s); }

    /// <summary><c>a &lt; value</c> for integer tensors (exact beyond 2⁵³).</summary>
    public static Tensor Lt(this Tensor a, long value) { using Scalar s = value.ToScalar(); return a.lt(s); }

    /// <summary><c>a == value</c> for integer tensors (exact beyond 2⁵³).</summary>
    public static Tensor Eq(this Tensor a, long value) { using Scalar s = value.ToScalar(); return a.eq(s); }

    /// <summary><c>a += value</c> in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, double value)
    {
        using Scalar s = value.ToScalar();
        return a.add_(s, One);
    }

    /// <summary>A tensor shaped like <paramref name="a"/> filled with <paramref name="value"/>.</summary>
    public static Tensor FullLike(this Tensor a, double value) { using Scalar s = value.ToScalar(); return full_like(a, s); }

    /// <summary>Fills <paramref name="a"/> with <paramref name="value"/> in place.</summary>
    public static Tensor Fill(this Tensor a, double value) { using Scalar s = value.ToScalar(); return a.fill_(s); }

    /// <summary><c>a</c> with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFill(this Tensor a, Tensor mask, double value)
    {
        using Scalar s = value.ToScalar();
        return a.masked_fill(mask, s);
    }

    /// <summary>In place: <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor MaskedFillInPlace(this Tensor a, Tensor mask, long value)
    {
        using Scalar s = value.ToScalar();
        return a.masked_fill_(mask, s);
    }

    /// <summary><c>[start, stop)</c> in steps of 1, like <c>torch.arange(start, stop)</c>.</summary>
    public static Tensor Arange(long start, long stop, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar first = start.ToScalar(), end = stop.ToScalar(), step = 1L.ToScalar();
        return arange(first, end, step, dtype, device);
    }

    /// <summary>A tensor of <paramref name="size"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] size, long value, ScalarType dtype, Device? device = null)
    {
        using Scalar s = value.ToScalar();
        return full(size, s, dtype, device);
    }
}
