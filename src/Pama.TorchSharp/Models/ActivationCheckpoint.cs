using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Models;

/// <summary>
/// Activation checkpointing (Chen et al., 2016, "Training Deep Nets with Sublinear Memory Cost"), as PyTorch's reentrant
/// <c>torch.utils.checkpoint</c>: a block runs forward without recording its graph, keeping only its inputs; backward runs
/// it again with the graph recorded and differentiates that. A block's intermediate activations then live only while its
/// own backward runs, at the price of one more forward pass per block.
/// </summary>
/// <remarks>TorchSharp 0.107 has no <c>torch.utils.checkpoint</c>; this is a custom autograd function
/// (<see cref="autograd.SingleTensorFunction{T}"/>) whose backward calls <c>torch.autograd.grad</c> on the recomputed block.
/// The block must compute the same function both times: no dropout (or other random draw) may be active in it.</remarks>
internal static class ActivationCheckpoint
{
    /// <summary>
    /// <paramref name="block"/> applied to <paramref name="inputs"/> (the hidden state first, then constants such as masks),
    /// checkpointed when gradients are being recorded and reach the hidden state or a parameter of <paramref name="module"/>;
    /// otherwise simply applied.
    /// </summary>
    public static Tensor Run(Func<Tensor[], Tensor> block, Tensor[] inputs, nn.Module module)
    {
        Parameter[] trainable = [.. module.parameters().Where(p => p.requires_grad)];
        bool inputRequiresGrad = inputs[0].requires_grad;
        if (!is_grad_enabled() || (!inputRequiresGrad && trainable.Length == 0)) return block(inputs);
        var recompute = new Recompute(block, inputs.Length, inputRequiresGrad, trainable);
        return BlockFunction.apply([recompute, .. inputs, .. trainable]);
    }

    /// <summary>What backward needs besides the saved inputs.</summary>
    private sealed record Recompute(Func<Tensor[], Tensor> Block, int InputCount, bool InputRequiresGrad, Parameter[] Parameters);

    /// <summary>The autograd node: arguments are the <see cref="Recompute"/>, the block's inputs, then its trainable parameters.</summary>
    private sealed class BlockFunction : autograd.SingleTensorFunction<BlockFunction>
    {
        private const string Key = "recompute";

        public override string Name => nameof(ActivationCheckpoint);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var recompute = (Recompute)vars[0];
            Tensor[] inputs = [.. vars.Skip(1).Take(recompute.InputCount).Cast<Tensor>()];
            ctx.save_for_backward([.. inputs]);
            ctx.save_data(Key, recompute);
            // apply runs this without recording a graph; the block's own scope frees its intermediates now rather than
            // when the caller's scope ends, which would keep every block's activations alive through the forward pass.
            using var scope = NewDisposeScope();
            return recompute.Block(inputs).MoveToOuterDisposeScope();
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var recompute = (Recompute)ctx.get_data(Key);
            using var scope = NewDisposeScope();
            Tensor[] inputs = [.. ctx.get_saved_variables().Select(t => t.detach())];
            if (recompute.InputRequiresGrad) inputs[0].requires_grad_(true);
            Tensor output;
            using (enable_grad()) output = recompute.Block(inputs);
            List<Tensor> wrt = recompute.InputRequiresGrad ? [inputs[0], .. recompute.Parameters] : [.. recompute.Parameters];
            IList<Tensor> grads = autograd.grad([output], wrt, [gradOutput], allow_unused: true);

            // One entry per forward argument: none for the Recompute object and the constant inputs.
            var result = new List<Tensor> { null! };
            int g = 0;
            result.Add(recompute.InputRequiresGrad ? grads[g++] : null!);
            for (int i = 1; i < recompute.InputCount; i++) result.Add(null!);
            foreach (Parameter _ in recompute.Parameters) result.Add(grads[g++]);
            foreach (Tensor? t in result) t?.MoveToOuterDisposeScope();
            return result;
        }
    }
}
