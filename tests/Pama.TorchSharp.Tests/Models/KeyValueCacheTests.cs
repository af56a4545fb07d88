using Pama.TorchSharp.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Pama.TorchSharp.Tensors;

namespace Pama.TorchSharp.Tests.Models;

public sealed class KeyValueCacheTests
{
    private static Tensor Random(Generator generator, long positions) => randn([2, 3, positions, 4], ScalarType.Float64, generator: generator);

    [Theory]
    [InlineData(0)]   // grows by doubling
    [InlineData(9)]   // allocated once
    public void AppendReturnsEverythingAppendedSoFarInOrder(long reserve)
    {
        using var generator = new Generator(5);
        using var cache = new KeyValueCache(layerCount: 2);
        cache.Reserve(reserve);
        var keys = new List<Tensor>();
        var values = new List<Tensor>();
        foreach (long count in new long[] { 4, 1, 1, 2, 1 })
        {
            Tensor key = Random(generator, count), value = Random(generator, count);
            keys.Add(key);
            values.Add(value);
            (Tensor fullKey, Tensor fullValue) = cache.Append(1, key, value);
            using Tensor expectedKey = cat(keys, 2), expectedValue = cat(values, 2);
            Assert.True(expectedKey.allclose(fullKey, rtol: 0, atol: 0));
            Assert.True(expectedValue.allclose(fullValue, rtol: 0, atol: 0));
            fullKey.Dispose();
            fullValue.Dispose();
        }
        Assert.Equal(0, cache.Length); // Length counts layer 0, which saw nothing
        if (reserve > 0) Assert.Equal(reserve, cache.Capacity);
        foreach (Tensor t in keys.Concat(values)) t.Dispose();
    }

    [Fact]
    public void ReservedBufferIsWrittenInPlaceNotReallocated()
    {
        using var generator = new Generator(6);
        using var cache = new KeyValueCache(layerCount: 1);
        cache.Reserve(8);
        using Tensor first = Random(generator, 3);
        (Tensor k0, Tensor v0) = cache.Append(0, first, first);
        Tensor? last = null;
        for (int t = 0; t < 5; t++)
        {
            using Tensor step = Random(generator, 1);
            (Tensor k, Tensor v) = cache.Append(0, step, step);
            last?.Dispose();
            last = k;
            v.Dispose();
        }
        Assert.Equal(8, cache.Length);
        Assert.Equal(8, cache.Capacity);
        // The first and the last returned keys share storage: the buffer was never replaced by a copy.
        using (Tensor head = last!.narrow(2, 0, 1)) head.Fill(42.0);
        using (Tensor seen = k0.narrow(2, 0, 1)) Assert.True(seen.Eq(42.0).all().item<bool>());
        last.Dispose();
        k0.Dispose();
        v0.Dispose();
    }

    [Fact]
    public void MismatchedShapesAreRejectedWithTheLayer()
    {
        using var cache = new KeyValueCache(layerCount: 3);
        using Tensor key = zeros(2, 3, 1, 4), wide = zeros(2, 3, 1, 5);
        cache.Append(2, key, key);
        Assert.Contains("Layer 2", Assert.Throws<ArgumentException>(() => cache.Append(2, wide, wide)).Message);
        Assert.Contains("Layer 1", Assert.Throws<ArgumentException>(() => cache.Append(1, key, wide)).Message);
    }
}
