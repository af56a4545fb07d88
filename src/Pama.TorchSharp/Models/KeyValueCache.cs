using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Per-layer attention keys and values of the positions already processed, so that decoding
/// one more token costs one position of work instead of the whole prefix.
/// </summary>
/// <remarks>
/// <para>Keys and values are <c>[B, heads, P, head_dim]</c>. Each layer's are kept in a buffer with room for
/// <see cref="Capacity"/> positions along axis 2; appending writes the new positions in place and returns views of
/// the filled part, so a decode step copies only its own keys and values, never the whole cache. Call
/// <see cref="Reserve"/> with the prompt length plus the most new tokens before the first forward pass to allocate
/// once; without it, a full buffer is replaced by one of twice the size (an amortised copy, not one per token).</para>
/// <para>The cache owns its buffers and disposes them. The tensors returned by <see cref="Append"/> are views into
/// them: valid until the next <see cref="Append"/> of that layer, <see cref="SelectRows"/> or <see cref="Dispose"/>.</para>
/// </remarks>
public sealed class KeyValueCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;
    private readonly long[] _lengths;
    private long _reserved;

    /// <summary>Creates an empty cache for a model with <paramref name="layerCount"/> layers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layerCount"/> is not positive.</exception>
    public KeyValueCache(int layerCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layerCount);
        _keys = new Tensor?[layerCount];
        _values = new Tensor?[layerCount];
        _lengths = new long[layerCount];
    }

    /// <summary>Number of layers the cache serves.</summary>
    public int LayerCount => _keys.Length;

    /// <summary>Number of positions cached so far (<c>P</c>, counted on layer 0); 0 when empty.</summary>
    public long Length => _lengths[0];

    /// <summary>Positions the buffers hold before they must grow: the reserved size before the first
    /// <see cref="Append"/>, the allocated size after it.</summary>
    public long Capacity => _keys[0] is { } k ? k.shape[2] : _reserved;

    /// <summary>
    /// Sets the number of positions to allocate room for at the first <see cref="Append"/> (e.g. prompt length plus
    /// the most new tokens), so that decoding never reallocates. Has no effect once buffers exist.
    /// </summary>
    /// <param name="positions">Positions to allocate room for.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="positions"/> is negative.</exception>
    public void Reserve(long positions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(positions);
        _reserved = Math.Max(_reserved, positions);
    }

    /// <summary>
    /// Appends the new keys and values of one layer along the position axis and returns the
    /// full keys and values (cached plus new), as views into the cache's buffers.
    /// </summary>
    /// <param name="layer">Layer index.</param>
    /// <param name="key">New keys <c>[B, heads, T, head_dim]</c>.</param>
    /// <param name="value">New values <c>[B, heads, T, head_dim]</c>, the shape of <paramref name="key"/>.</param>
    /// <returns>Keys and values <c>[B, heads, P + T, head_dim]</c>.</returns>
    /// <exception cref="ArgumentException">The shapes disagree with each other or with what the layer holds.</exception>
    public (Tensor Key, Tensor Value) Append(int layer, Tensor key, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, LayerCount);
        if (key.dim() != 4 || !key.shape.SequenceEqual(value.shape))
            throw new ArgumentException(
                $"Layer {layer}: key [{string.Join(", ", key.shape)}] and value [{string.Join(", ", value.shape)}] must both be [B, heads, T, head_dim].", nameof(key));
        long length = _lengths[layer], count = key.shape[2], needed = length + count;
        if (_keys[layer] is { } held &&
            (held.shape[0] != key.shape[0] || held.shape[1] != key.shape[1] || held.shape[3] != key.shape[3] || held.dtype != key.dtype))
            throw new ArgumentException(
                $"Layer {layer}: new keys [{string.Join(", ", key.shape)}] ({key.dtype}) do not match the cached [{string.Join(", ", held.shape)}] ({held.dtype}).", nameof(key));

        if (_keys[layer] is null || _keys[layer]!.shape[2] < needed)
        {
            long capacity = Math.Max(needed, Math.Max(_reserved, 2 * (_keys[layer]?.shape[2] ?? 0)));
            _keys[layer] = Grow(_keys[layer], key, length, capacity);
            _values[layer] = Grow(_values[layer], value, length, capacity);
        }
        Tensor keys = _keys[layer]!, values = _values[layer]!;
        using (Tensor slot = keys.narrow(2, length, count)) slot.copy_(key);
        using (Tensor slot = values.narrow(2, length, count)) slot.copy_(value);
        _lengths[layer] = needed;
        return (keys.narrow(2, 0, needed), values.narrow(2, 0, needed));
    }

    /// <summary>Keeps only the batch rows in <paramref name="rows"/> (int64 indices), e.g. to drop finished sequences.</summary>
    public void SelectRows(Tensor rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
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
            _lengths[i] = 0;
        }
    }

    /// <summary>A buffer with room for <paramref name="capacity"/> positions holding the first <paramref name="length"/> of <paramref name="old"/>.</summary>
    private static Tensor Grow(Tensor? old, Tensor like, long length, long capacity)
    {
        long[] shape = [like.shape[0], like.shape[1], capacity, like.shape[3]];
        Tensor buffer = empty(shape, like.dtype, like.device).DetachFromDisposeScope();
        if (old is not null)
        {
            using (Tensor filled = buffer.narrow(2, 0, length))
            using (Tensor source = old.narrow(2, 0, length))
                filled.copy_(source);
            old.Dispose();
        }
        return buffer;
    }
}
