namespace Pama.TorchSharp.Training;

/// <summary>
/// Settings of the adaptive KL controller of Ziegler et al. (2019), "Fine-Tuning Language Models
/// from Human Preferences": after each step the KL coefficient is multiplied by
/// <c>1 + clip(KL / target − 1, −0.2, 0.2) · B / horizon</c>, where KL is the mean over the batch of
/// the summed per-token KL of a response and <c>B</c> the number of responses in the step.
/// </summary>
/// <param name="TargetKl">Desired KL per response (nats). The paper's LLaMA-2 run uses 3; TRL's default is 6.</param>
/// <param name="Horizon">Number of responses over which the coefficient adapts (TRL default 10000).</param>
public sealed record AdaptiveKlOptions(double TargetKl = 6.0, double Horizon = 10_000.0);
