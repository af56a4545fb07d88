namespace Pama.TorchSharp.Training;

/// <summary>
/// An update that left the policy unchanged, and why: PAMA's Theorem 1 gave <c>s* = 0</c> (or a weighting's optimal value was 0),
/// every objective was flat, or the combined advantage was zero on every token (the rules of <see cref="Methods.CombineStage"/>).
/// </summary>
/// <remarks>
/// With Noon clipping every statistic is <c>a_i = mean_t max(A'^i_t, 0) 1[u_t ≤ 1+ε] ≥ 0</c>, so <c>s* = 0</c> means
/// some objective had <c>a_i = 0</c>: none of its advantages was positive on a token whose ratio was still unclipped.
/// In practice: every sampled response scored at or below that objective's value estimate (for instance, its rewards
/// are all negative and the value head has not learned the offset), or the policy has already moved its positive
/// tokens past the clip range <c>1+ε</c> in earlier epochs of the step. PAMA reads that as "no direction improves this
/// objective without, at first order, hurting it" and does not step the policy; the value heads still learn.
/// </remarks>
/// <param name="Update">1-based number of the update within the step (epochs × minibatches, in order).</param>
/// <param name="ObjectivesWithoutPositiveAdvantage">Names of the objectives whose statistic <c>a_i</c> was 0.</param>
/// <param name="FlatObjectives">Names of the objectives whose advantage was zero on every token (ignored by the weights);
/// when every objective is flat, the batch gave no signal at all.</param>
public sealed record StationaryUpdate(int Update, IReadOnlyList<string> ObjectivesWithoutPositiveAdvantage, IReadOnlyList<string> FlatObjectives)
{
    /// <summary>The combine stage's reason, in a few words; set by the trainer.</summary>
    public string? Reason { get; init; }

    /// <summary>Why, in a few words, e.g. <c>s* = 0: no positive unclipped advantage for 'no-shouting'</c>.</summary>
    public string Cause =>
        Reason ?? (ObjectivesWithoutPositiveAdvantage.Count > 0 ? $"s* = 0: no positive unclipped advantage for {Names(ObjectivesWithoutPositiveAdvantage)}"
        : FlatObjectives.Count > 0 ? $"the advantages of {Names(FlatObjectives)} were zero on every token (their rewards did not vary)"
        : "the policy could not move");

    /// <summary>A one-line explanation, e.g. <c>update 2: s* = 0: no positive unclipped advantage for 'no-shouting'</c>.</summary>
    public override string ToString() => $"update {Update}: {Cause}";

    private static string Names(IEnumerable<string> names) => string.Join(", ", names.Select(n => $"'{n}'"));
}
