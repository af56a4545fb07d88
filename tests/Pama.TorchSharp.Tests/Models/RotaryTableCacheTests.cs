using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tensors;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// <see cref="LlamaModel"/>'s cached rotary tables (cos and sin of positions 0 .. L − 1 on the device, gathered by position
/// id) against the angles computed for each call's own positions, as before the cache: equal to the last bit, across calls
/// of growing length, after a type change, outside the dispose scope the first call ran in, and in a clone.
/// </summary>
public sealed class RotaryTableCacheTests
{
    public static IEnumerable<object[]> Variants =>
        from rope in new[] { "default", "linear", "llama3", "dynamic" }
        from type in new[] { ScalarType.Float64, ScalarType.Float32 }
        select new object[] { rope, type };

    [Theory]
    [MemberData(nameof(Variants))]
    public void CachedTablesGiveTheUncachedOutputsBitForBitAcrossLengths(string rope, ScalarType type)
    {
        using LlamaModel cached = Create(rope, type), uncached = Create(rope, type);
        uncached.CachesRotaryTables = false;
        Assert.Null(cached.RotaryTableKey);

        // No position ids (0 .. T − 1), then explicit ones far enough to grow the table past its first 256 positions.
        AssertSame(cached, uncached, Ids(5), null).Dispose();
        Assert.Equal((DeviceType.CPU, -1, type, 256L), cached.RotaryTableKey);
        using (Tensor positions = KeptScalars.Arange(590, 602, ScalarType.Int64).unsqueeze(0).expand(2, 12).contiguous())
            AssertSame(cached, uncached, Ids(12, rows: 2), positions).Dispose();
        Assert.Equal(602, cached.RotaryTableKey!.Value.Length);
        // A shorter call reuses the longer table.
        AssertSame(cached, uncached, Ids(3), null).Dispose();
        Assert.Equal(602, cached.RotaryTableKey!.Value.Length);
        // Decoding through the key/value cache.
        using KeyValueCache a = cached.CreateKeyValueCache(), b = uncached.CreateKeyValueCache();
        using Tensor all = Ids(9);
        for (int t = 0; t < 9; t += t == 0 ? 6 : 1)
        {
            int width = t == 0 ? 6 : 1;
            using CausalLMOutput x = cached.Forward(all.narrow(1, t, width), cache: a);
            using CausalLMOutput y = uncached.Forward(all.narrow(1, t, width), cache: b);
            Assert.True(Same(x.Logits, y.Logits));
        }
    }

    [Fact]
    public void DynamicScalingPastTheTrainedLengthBypassesTheTables()
    {
        using LlamaModel cached = Create("dynamic", ScalarType.Float64), uncached = Create("dynamic", ScalarType.Float64);
        uncached.CachesRotaryTables = false;
        // 1024 trained positions, factor 2: positions up to 2047 are allowed, and past 1024 the base depends on the length.
        using (Tensor positions = KeptScalars.Arange(1000, 1010, ScalarType.Int64).unsqueeze(0))
            AssertSame(cached, uncached, Ids(10), positions).Dispose();
        Assert.Equal(1010, cached.RotaryTableKey!.Value.Length);
        foreach (long end in new long[] { 1500, 2048 })
        {
            using Tensor positions = KeptScalars.Arange(end - 10, end, ScalarType.Int64).unsqueeze(0);
            AssertSame(cached, uncached, Ids(10), positions).Dispose();
            // The table (default frequencies) is neither used nor grown past the trained length.
            Assert.Equal(1010, cached.RotaryTableKey!.Value.Length);
        }
        // Back within the trained length the table serves again.
        using (Tensor positions = KeptScalars.Arange(1014, 1024, ScalarType.Int64).unsqueeze(0))
            AssertSame(cached, uncached, Ids(10), positions).Dispose();
        Assert.Equal(1024, cached.RotaryTableKey!.Value.Length);
    }

    [Fact]
    public void ChangingTheModelTypeReplacesTheTable()
    {
        using LlamaModel cached = Create("llama3", ScalarType.Float32), uncached = Create("llama3", ScalarType.Float32);
        uncached.CachesRotaryTables = false;
        AssertSame(cached, uncached, Ids(7), null).Dispose();
        Assert.Equal(ScalarType.Float32, cached.RotaryTableKey!.Value.DType);

        cached.to(ScalarType.Float64);
        uncached.to(ScalarType.Float64);
        using (CausalLMOutput output = AssertSame(cached, uncached, Ids(7), null))
            Assert.Equal(ScalarType.Float64, output.Logits.dtype);
        Assert.Equal(ScalarType.Float64, cached.RotaryTableKey!.Value.DType);

        // A float64 table would promote a float32 model's attention to float64.
        cached.to(ScalarType.Float32);
        uncached.to(ScalarType.Float32);
        using (CausalLMOutput output = AssertSame(cached, uncached, Ids(7), null))
        {
            Assert.Equal(ScalarType.Float32, output.Logits.dtype);
            Assert.Equal(ScalarType.Float32, output.LastHiddenState.dtype);
        }
        Assert.Equal(ScalarType.Float32, cached.RotaryTableKey!.Value.DType);
    }

    [Fact]
    public void TablesSurviveTheCallersDisposeScopeAndClonesHaveTheirOwn()
    {
        LlamaModel model = Create("default", ScalarType.Float64);
        using LlamaModel reference = Create("default", ScalarType.Float64);
        reference.CachesRotaryTables = false;
        using (DisposeScope scope = NewDisposeScope())
        {
            // The first call builds the tables inside the caller's scope, which disposes everything it holds.
            CausalLMOutput first = model.Forward(Ids(6));
            Assert.True(first.Logits.isfinite().all().item<bool>());
        }
        AssertSame(model, reference, Ids(6), null).Dispose();

        LlamaModel clone = model.Clone();
        model.Dispose();
        using (clone)
        {
            Assert.Null(clone.RotaryTableKey);
            AssertSame(clone, reference, Ids(6), null).Dispose();
        }
    }

    /// <summary>Both models' outputs for the same inputs, which must be equal to the last bit; returns the first one's.</summary>
    private static CausalLMOutput AssertSame(LlamaModel cached, LlamaModel uncached, Tensor ids, Tensor? positions)
    {
        using (ids)
        {
            CausalLMOutput x = cached.Forward(ids, positionIds: positions);
            using CausalLMOutput y = uncached.Forward(ids, positionIds: positions);
            Assert.Equal(y.Logits.dtype, x.Logits.dtype);
            Assert.True(Same(x.Logits, y.Logits), "cached and uncached logits differ");
            Assert.True(Same(x.LastHiddenState, y.LastHiddenState), "cached and uncached hidden states differ");
            return x;
        }
    }

    private static Tensor Ids(int count, int rows = 1)
    {
        using Scalar vocabulary = 20.ToScalar();
        return KeptScalars.Arange(3, 3 + rows * count, ScalarType.Int64).remainder(vocabulary).view(rows, count);
    }

    /// <summary>The same random weights for the same arguments; 1024 trained positions, head size 16.</summary>
    private static LlamaModel Create(string rope, ScalarType type)
    {
        var parameters = rope switch
        {
            "linear" => new RopeParameters { Type = "linear", Factor = 2 },
            "llama3" => new RopeParameters { Type = "llama3", Theta = 500000, Factor = 8, OriginalMaxPositionEmbeddings = 256 },
            "dynamic" => new RopeParameters { Type = "dynamic", Factor = 2 },
            _ => new RopeParameters { Theta = 1000000 },
        };
        var config = new LlamaConfig
        {
            VocabularySize = 20, HiddenSize = 32, IntermediateSize = 24, LayerCount = 2, HeadCount = 2, KeyValueHeadCount = 1,
            MaxPositionEmbeddings = 1024, Rope = parameters,
        };
        var model = new LlamaModel(config, dtype: ScalarType.Float64);
        using var generator = new Generator(29);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.5, generator);
        model.eval();
        return type == ScalarType.Float64 ? model : model.to(type);
    }

    /// <summary>Same shape and type, and every element equal.</summary>
    internal static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using Tensor equal = a.eq(b), all = equal.all();
        return all.item<bool>();
    }
}
