using Pama.FineTune.Rewards;
using Xunit;

namespace Pama.FineTune.Tests;

public sealed class TextRewardTests
{
    [Theory]
    [InlineData(0, 0.5)]      // below the floor
    [InlineData(70, 0.5)]     // exactly the floor: 70 / 140
    [InlineData(140, 1.0)]
    [InlineData(175, 1.25)]
    [InlineData(210, 1.5)]    // exactly the ceiling: 210 / 140
    [InlineData(300, 1.5)]    // above the ceiling
    public void LengthRewardIsClippedCharactersOver140(int characters, double expected)
    {
        Assert.Equal(expected, LengthReward.Score(new string('x', characters)), 12);
    }

    [Fact]
    public void LengthCountsCharactersAfterTrimmingWhiteSpace()
    {
        // "Good film." is 4 + 1 + 5 characters.
        Assert.Equal(10, LengthReward.Characters("  Good film.\n"));
        // 98 letters plus surrounding blanks: 98 / 140 = 0.7.
        Assert.Equal(0.7, LengthReward.Score("   " + new string('a', 98) + "   "), 12);
    }

    [Fact]
    public void NonRepetitionIsDistinctBigramsOverBigrams()
    {
        // Bigrams (the, cat), (cat, the), (the, cat): 2 distinct of 3.
        Assert.Equal(2.0 / 3.0, NonRepetitionReward.Score("The cat, the cat."), 12);
        Assert.Equal(1.0, NonRepetitionReward.Score("a b c d"), 12);
        // (great, great) three times: 1 distinct of 3.
        Assert.Equal(1.0 / 3.0, NonRepetitionReward.Score("great great great great"), 12);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Wow!")]
    public void NonRepetitionOfFewerThanTwoWordsIsZero(string response)
    {
        Assert.Equal(0.0, NonRepetitionReward.Score(response));
    }

    [Fact]
    public void WordsAreLowerCasedRunsOfLettersDigitsAndApostrophes()
    {
        Assert.Equal(["don't", "stop", "it's", "10", "10"], Words.Split("Don't STOP, it's 10/10!"));
    }
}
