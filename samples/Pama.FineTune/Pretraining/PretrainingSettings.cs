namespace Pama.FineTune.Pretraining;

/// <summary>How the sample pretrains its tiny policy on the embedded reviews (plain next-token prediction).</summary>
/// <param name="Steps">Optimizer steps.</param>
/// <param name="BatchSize">Windows per step.</param>
/// <param name="WindowLength">Tokens per window (the model sees <c>WindowLength</c> inputs and predicts the next token of each).</param>
/// <param name="LearningRate">Peak AdamW learning rate (linear warm-up over the first 5% of steps, cosine decay to 10% after).</param>
/// <param name="Seed">Seed of the window sampler and of the weight initialisation.</param>
public sealed record PretrainingSettings(int Steps, int BatchSize, int WindowLength, double LearningRate, int Seed);
