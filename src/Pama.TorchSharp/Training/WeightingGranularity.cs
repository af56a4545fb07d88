namespace Pama.TorchSharp.Training;

/// <summary>At which level PAMA computes its statistics and weights.</summary>
public enum WeightingGranularity
{
    /// <summary>One statistic per objective and one weight vector per minibatch update (the paper).</summary>
    Batch,

    /// <summary>
    /// Our extension, not in the paper: statistics per response (masked mean over that response's
    /// tokens) and one weight vector per response, solved row by row with Theorem 1.
    /// </summary>
    Sequence,

    /// <summary>
    /// Our extension, not in the paper: the statistic of each response token is its own
    /// <c>A^i_t 1[u_t ≤ 1+ε]</c>, and each token gets its own weight vector.
    /// </summary>
    Token,
}
