using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Per-layer attention keys and values of the positions already processed, so that decoding
/// one more token costs one position of work instead of the whole prefix.
/// </summary>
/// <remarks>Tensors are <c>[B, heads, P, head_dim]</c>. The cache owns them and disposes them.</remarks>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    /// <summary>Creates an empty cache for a model with <paramref name="layerCount"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerCount"/> is not positive.</exception>
    public KeyValueCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        _keys = new Tensor?[layerCount];
        _values = new Tensor?[layerCount];
    }

    /// <summary>Number of layers the cache serves.</summary>
    public int LayerCount => _keys.Length;

    /// <summary>Number of positions cached so far (<c>P</c>); 0 when empty.</summary>
    public long Length => _keys[0] is { } k ? k.shape[2] : 0;

    /// <summary>
    /// Appends the new keys and values of one layer along the position axis and returns the
    /// full keys and values (cached plus new). The returned tensors belong to the cache.
    /// </summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="key">New keys <c>[B, heads, T, head_dim]</c>.</param>
    /// <param name="value">New values <c>[B, heads, T, head_dim]</c>.</param>
    public (Tensor Key, Tensor Value) Append(int layer, Tensor key, Tensor value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        Tensor fullKey = _keys[layer] is { } k ? cat([k, key], 2) : key.alias();
        Tensor fullValue = _values[layer] is { } v ? cat([v, value], 2) : value.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = fullKey.DetachFromDisposeScope();
        _values[layer] = fullValue.DetachFromDisposeScope();
        return (fullKey, fullValue);
    }

    /// <summary>Keeps only the batch rows in <paramref name="rows"/> (int64 indices), e.g. to drop finished sequences.</summary>
    public void SelectRows(Tensor rows)
    {
        for (int i = 0; i < LayerCount; i++)
        {
            if (_keys[i] is { } k) { _keys[i] = k.index_select(0, rows).DetachFromDisposeScope(); k.Dispose(); }
            if (_values[i] is { } v) { _values[i] = v.index_select(0, rows).DetachFromDisposeScope(); v.Dispose(); }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (int i = 0; i < LayerCount; i++)
        {
            _keys[i]?.Dispose();
            _values[i]?.Dispose();
            _keys[i] = null;
            _values[i] = null;
        }
    }
}
