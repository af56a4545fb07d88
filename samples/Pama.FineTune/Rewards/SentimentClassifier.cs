using Pama.FineTune.Corpus;

namespace Pama.FineTune.Rewards;

/// <summary>
/// The sentiment reward model: a logistic-regression classifier over word frequencies, trained
/// by the sample on labelled reviews kept apart from the pretraining text. Its reward is the
/// positive-class logit, as the paper uses the logit of an IMDb sentiment classifier.
/// </summary>
/// <remarks>
/// Features are term frequencies <c>x_j = count_j / n</c> over the <c>n</c> words of the text, so
/// the logit <c>b + sum_j w_j x_j</c> is a weighted average of per-word scores: it measures how
/// positive the text is, not how long it is, which keeps sentiment and length separate objectives.
/// Words never seen in training count towards <c>n</c> but carry no weight; a text with no
/// words scores the bias <c>b</c>. Training minimises the mean log loss plus
/// <c>(lambda / 2) ||w||^2</c> with full-batch Adam, deterministically.
/// </remarks>
public sealed class SentimentClassifier
{
    private readonly Dictionary<string, int> _vocabulary;
    private readonly double[] _weights;
    private readonly double _bias;

    private SentimentClassifier(Dictionary<string, int> vocabulary, double[] weights, double bias)
    {
        _vocabulary = vocabulary;
        _weights = weights;
        _bias = bias;
    }

    /// <summary>Number of words with a learned weight.</summary>
    public int VocabularySize => _weights.Length;

    /// <summary>Trains on positive and negative reviews (mixed ones are rejected: they have no label).</summary>
    /// <param name="reviews">Labelled reviews.</param>
    /// <param name="epochs">Full-batch Adam steps.</param>
    /// <param name="learningRate">Adam step size.</param>
    /// <param name="l2">Weight decay strength <c>lambda</c>.</param>
    public static SentimentClassifier Train(IReadOnlyList<Review> reviews, int epochs = 300, double learningRate = 0.1, double l2 = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(reviews);
        if (reviews.Count == 0) throw new ArgumentException("The sentiment classifier needs at least one labelled review.", nameof(reviews));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        var examples = new (int[] Index, double[] Value, double Label)[reviews.Count];
        for (int i = 0; i < reviews.Count; i++)
        {
            Review review = reviews[i];
            double label = review.Sentiment switch
            {
                ReviewSentiment.Positive => 1.0,
                ReviewSentiment.Negative => 0.0,
                _ => throw new ArgumentException($"Review {i} is mixed; the sentiment classifier trains on positive and negative reviews only.", nameof(reviews)),
            };
            List<string> words = Words.Split(review.Text);
            foreach (string word in words) vocabulary.TryAdd(word, vocabulary.Count);
            examples[i] = Features(words, vocabulary, label);
        }

        // Parameters: one weight per word, then the bias.
        var parameters = new double[vocabulary.Count + 1];
        int biasIndex = vocabulary.Count;
        var adam = new Adam(parameters.Length);
        var gradient = new double[parameters.Length];
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(gradient);
            foreach ((int[] index, double[] value, double label) in examples)
            {
                double logit = parameters[biasIndex];
                for (int k = 0; k < index.Length; k++) logit += parameters[index[k]] * value[k];
                double error = Sigmoid(logit) - label;
                for (int k = 0; k < index.Length; k++) gradient[index[k]] += error * value[k];
                gradient[biasIndex] += error;
            }

            for (int j = 0; j < gradient.Length; j++)
            {
                gradient[j] /= examples.Length;
                if (j != biasIndex) gradient[j] += l2 * parameters[j];
            }

            adam.Step(parameters, gradient, learningRate);
        }

        return new SentimentClassifier(vocabulary, parameters[..biasIndex], parameters[biasIndex]);
    }

    /// <summary>The positive-class logit of <paramref name="text"/>: above 0 reads positive, below 0 negative.</summary>
    public double Logit(string text)
    {
        List<string> words = Words.Split(text);
        if (words.Count == 0) return _bias;
        double sum = 0.0;
        foreach (string word in words)
        {
            if (_vocabulary.TryGetValue(word, out int j)) sum += _weights[j];
        }

        return _bias + (sum / words.Count);
    }

    /// <summary>Share of positive and negative reviews whose logit has the right sign.</summary>
    public double Accuracy(IEnumerable<Review> reviews)
    {
        int correct = 0, total = 0;
        foreach (Review review in reviews.Where(r => r.Sentiment != ReviewSentiment.Mixed))
        {
            bool positive = Logit(review.Text) > 0;
            if (positive == (review.Sentiment == ReviewSentiment.Positive)) correct++;
            total++;
        }

        return total == 0 ? double.NaN : correct / (double)total;
    }

    private static (int[] Index, double[] Value, double Label) Features(List<string> words, Dictionary<string, int> vocabulary, double label)
    {
        var counts = new SortedDictionary<int, int>();
        foreach (string word in words)
        {
            int j = vocabulary[word];
            counts[j] = counts.GetValueOrDefault(j) + 1;
        }

        int[] index = counts.Keys.ToArray();
        double[] value = counts.Values.Select(c => c / (double)Math.Max(1, words.Count)).ToArray();
        return (index, value, label);
    }

    private static double Sigmoid(double x) => x >= 0 ? 1.0 / (1.0 + Math.Exp(-x)) : Math.Exp(x) / (1.0 + Math.Exp(x));

    /// <summary>Adam (Kingma and Ba, 2015) on a plain array of parameters.</summary>
    private sealed class Adam(int size)
    {
        private const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
        private readonly double[] _first = new double[size];
        private readonly double[] _second = new double[size];
        private int _step;

        public void Step(double[] parameters, double[] gradient, double learningRate)
        {
            _step++;
            double correction1 = 1 - Math.Pow(Beta1, _step), correction2 = 1 - Math.Pow(Beta2, _step);
            for (int j = 0; j < parameters.Length; j++)
            {
                _first[j] = (Beta1 * _first[j]) + ((1 - Beta1) * gradient[j]);
                _second[j] = (Beta2 * _second[j]) + ((1 - Beta2) * gradient[j] * gradient[j]);
                parameters[j] -= learningRate * (_first[j] / correction1) / (Math.Sqrt(_second[j] / correction2) + Epsilon);
            }
        }
    }
}
