using TorchSharp;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Runs a stack of transformer blocks so that, when no gradients are recorded, each block's intermediates (queries, keys,
/// values, attention weights, MLP activations) are freed as soon as the block returns instead of when the whole forward
/// pass ends (issue 30): peak memory then holds one block's temporaries, not every block's.
/// </summary>
/// <remarks>
/// Under <c>no_grad</c> each block runs in its own dispose scope; only its output hidden state leaves that scope (to the
/// caller's), and the previous block's output is disposed once the next block has consumed it. The block's input and the
/// constants it reads (masks, rotary tables) belong to the caller and are left alone. Key/value cache buffers are not
/// owned by any scope (<see cref="KeyValueCache"/> detaches them), so what a block writes there survives; the views of them
/// a block receives from <see cref="KeyValueCache.Append"/> are its own and are freed with it.
/// While gradients are recorded nothing changes: autograd needs the intermediates until backward.
/// </remarks>
internal static class BlockScopes
{
    /// <summary><paramref name="x"/> passed through <paramref name="blocks"/> in order, each applied by <paramref name="apply"/>.</summary>
    public static Tensor Chain<TBlock>(Tensor x, IEnumerable<TBlock> blocks, Func<TBlock, Tensor, Tensor> apply)
    {
        if (is_grad_enabled())
        {
            foreach (TBlock block in blocks) x = apply(block, x);
            return x;
        }
        Tensor? previous = null;  // the last block's output: ours to dispose, unlike the caller's input
        foreach (TBlock block in blocks)
        {
            Tensor output;
            using (DisposeScope scope = NewDisposeScope())
                output = apply(block, x).MoveToOuterDisposeScope();
            previous?.Dispose();
            previous = output;
            x = output;
        }
        return x;
    }
}
