namespace Pama.TorchSharp.Training;

/// <summary>How the value heads' biases start (see <see cref="PamaTrainerOptions.ValueHeadInitialization"/>).</summary>
public enum ValueHeadInitialization
{
    /// <summary>
    /// Before the first update, each head's bias is set to the mean, over the first batch's response tokens, of its
    /// objective's return-to-go <c>Σ_{k≥t} γ^(k−t) r^i_k</c> (the least-squares constant value of that batch); the
    /// weights stay zero. The first advantages are then centred: responses that score above the batch mean get
    /// positive advantages for that objective, whatever the sign or offset of its rewards. The default.
    /// </summary>
    FirstBatchMeanReturn,

    /// <summary>
    /// Heads start at zero, so the first advantages are the discounted rewards themselves. An objective whose rewards
    /// are all negative then has no positive advantage, Noon clipping zeroes its statistic and PAMA's
    /// <c>s* = 0</c> leaves the policy unchanged until the head has learned the offset.
    /// </summary>
    Zero,
}
