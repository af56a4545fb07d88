namespace Pama.FineTune.Reporting;

/// <summary>One line of <c>metrics.csv</c>: what one training step did for one objective of one (method, seed) run.</summary>
/// <param name="Step">Training step, from 1.</param>
/// <param name="Method">Method key: <c>pama</c>, <c>morlhf</c> or <c>mgda-ub</c>.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Objective">Objective name.</param>
/// <param name="MeanReward">Mean reward of this objective over the step's batch of responses.</param>
/// <param name="Weight">The weight <c>c_i</c> the method gave this objective at this step.</param>
/// <param name="SStar">PAMA's optimal value <c>s*</c> (Theorem 1) at this step; NaN for methods that have none.</param>
/// <param name="Kl">Mean KL divergence estimate between the policy and the reference model on the batch.</param>
public sealed record MetricRow(int Step, string Method, int Seed, string Objective, double MeanReward, double Weight, double SStar, double Kl);
