namespace Pama.FineTune.Rewards;

/// <summary>
/// A third objective, not in the paper: distinct-2 of the response, the number of distinct word
/// bigrams divided by the number of word bigrams. It is 1 when no pair of consecutive words
/// repeats and falls towards 0 as the response loops, so it pulls against responses that
/// buy length or sentiment by repeating themselves.
/// </summary>
/// <remarks>Responses of fewer than two words have no bigrams and score 0, so silence is not rewarded.</remarks>
public static class NonRepetitionReward
{
    /// <summary>distinct-2 of <paramref name="response"/>, in [0, 1].</summary>
    public static double Score(string response)
    {
        List<string> words = Words.Split(response);
        if (words.Count < 2) return 0.0;
        var distinct = new HashSet<(string, string)>();
        for (int i = 1; i < words.Count; i++) distinct.Add((words[i - 1], words[i]));
        return distinct.Count / (double)(words.Count - 1);
    }
}
