namespace Pama.FineTune.Rewards;

/// <summary>
/// The paper's length reward for GPT-2 on IMDb: <c>clip(l / 140, 70 / 140, 210 / 140)</c>,
/// so it runs from 0.5 (70 characters or fewer) to 1.5 (210 characters or more).
/// </summary>
/// <remarks>
/// Here <c>l</c> is the number of characters (UTF-16 code units) of the decoded response, the
/// generated continuation only (not the prompt, not the end-of-text token), after trimming
/// leading and trailing white space.
/// </remarks>
public static class LengthReward
{
    /// <summary>Characters per unit of reward.</summary>
    public const double Scale = 140.0;

    /// <summary>Responses this short or shorter score the floor, 0.5.</summary>
    public const double MinimumCharacters = 70.0;

    /// <summary>Responses this long or longer score the ceiling, 1.5.</summary>
    public const double MaximumCharacters = 210.0;

    /// <summary>The length <c>l</c> of a response in characters, as defined above.</summary>
    public static int Characters(string response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Trim().Length;
    }

    /// <summary>The reward <c>clip(l / 140, 0.5, 1.5)</c> of <paramref name="response"/>.</summary>
    public static double Score(string response) =>
        Math.Clamp(Characters(response) / Scale, MinimumCharacters / Scale, MaximumCharacters / Scale);
}
