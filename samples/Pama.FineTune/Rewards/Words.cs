namespace Pama.FineTune.Rewards;

/// <summary>Splits text into lower-case words (runs of letters, digits and apostrophes), the unit the text rewards count in.</summary>
public static class Words
{
    /// <summary>The words of <paramref name="text"/>, lower-cased, in order.</summary>
    public static List<string> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return words;
    }
}
