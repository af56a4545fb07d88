using Pama.TorchSharp.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Pama.FineTune.Pretraining;

/// <summary>
/// Teaches a freshly initialised GPT-2 to write reviews: next-token cross-entropy on windows
/// drawn from the reviews laid end to end, each review followed by the end-of-text token (so
/// the policy learns to stop), with AdamW and gradient clipping.
/// </summary>
/// <remarks>
/// This is the language-model pretraining the paper gets for free from OpenAI's GPT-2; the RL
/// fine-tuning itself is done by the library's trainer, never here.
/// </remarks>
public static class PolicyPretrainer
{
    /// <summary>Trains <paramref name="model"/> in place and returns the loss of every step.</summary>
    /// <param name="model">The policy, on any device.</param>
    /// <param name="tokenizer">Tokenizer the model's vocabulary belongs to.</param>
    /// <param name="texts">Reviews to learn from.</param>
    /// <param name="settings">Budget and optimiser settings.</param>
    /// <param name="onStep">Called after each step with the step number (from 1) and its loss.</param>
    /// <param name="cancellation">Stops between steps when signalled.</param>
    public static double[] Train(
        Gpt2Model model,
        ITextTokenizer tokenizer,
        IReadOnlyList<string> texts,
        PretrainingSettings settings,
        Action<int, double>? onStep = null,
        CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.WindowLength > model.ContextLength)
            throw new ArgumentException($"The pretraining window ({settings.WindowLength} tokens) is longer than the model's context ({model.ContextLength}).", nameof(settings));

        long[] stream = Stream(tokenizer, texts);
        if (stream.Length <= settings.WindowLength + 1)
            throw new ArgumentException($"The pretraining text has only {stream.Length} tokens, too few for windows of {settings.WindowLength}.", nameof(texts));

        var random = new Random(settings.Seed);
        using var optimizer = new Pama.TorchSharp.Training.Optimizers.AdamW(model.parameters(), lr: settings.LearningRate, weight_decay: 0.01);
        var losses = new List<double>(settings.Steps);
        model.train();
        for (int step = 1; step <= settings.Steps && !cancellation.IsCancellationRequested; step++)
        {
            foreach (var group in optimizer.ParamGroups) group.LearningRate = LearningRate(settings, step);
            using var scope = NewDisposeScope();
            (Tensor inputs, Tensor targets) = Batch(stream, settings, random, model.Device);
            Tensor logits = model.forward(inputs);
            Tensor loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets.reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            double value = loss.item<float>();
            if (!double.IsFinite(value)) throw new InvalidOperationException($"Pretraining diverged at step {step} (loss {value}).");
            losses.Add(value);
            onStep?.Invoke(step, value);
        }

        model.eval();
        return losses.ToArray();
    }

    // Every review's ids followed by end-of-text, concatenated.
    private static long[] Stream(ITextTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var stream = new List<long>();
        foreach (string text in texts)
        {
            foreach (int id in tokenizer.Encode(text)) stream.Add(id);
            stream.Add(tokenizer.EndOfTextId);
        }

        return stream.ToArray();
    }

    private static (Tensor Inputs, Tensor Targets) Batch(long[] stream, PretrainingSettings settings, Random random, Device device)
    {
        int length = settings.WindowLength;
        var inputs = new long[settings.BatchSize * length];
        var targets = new long[settings.BatchSize * length];
        for (int b = 0; b < settings.BatchSize; b++)
        {
            int start = random.Next(stream.Length - length - 1);
            Array.Copy(stream, start, inputs, b * length, length);
            Array.Copy(stream, start + 1, targets, b * length, length);
        }

        return (tensor(inputs, [settings.BatchSize, length], device: device), tensor(targets, [settings.BatchSize, length], device: device));
    }

    // Linear warm-up over the first 5% of steps, then cosine decay to a tenth of the peak.
    private static double LearningRate(PretrainingSettings settings, int step)
    {
        int warmup = Math.Max(1, settings.Steps / 20);
        if (step <= warmup) return settings.LearningRate * step / warmup;
        double progress = (step - warmup) / (double)Math.Max(1, settings.Steps - warmup);
        return settings.LearningRate * (0.1 + (0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress))));
    }
}
