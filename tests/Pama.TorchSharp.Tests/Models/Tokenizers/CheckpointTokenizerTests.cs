using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models.Tokenizers;

/// <summary>
/// The tiny checkpoints of TestData/hf carry tokenizers of their own 512-token vocabularies (make_tokenizers.py): the
/// sizes and special ids agree with config.json, and the BPE ids are those of a textbook BPE over the same merges.
/// </summary>
public sealed class CheckpointTokenizerTests
{
    private static readonly string[] Texts =
        ["The movie was", "My favourite food is", " The movie was wonderful, I loved it!", "Hello   world\n\tnew line 123", "naïve café 🙂"];

    [Theory]
    [InlineData("gpt2")]
    [InlineData("gpt2-bf16-sharded")]
    [InlineData("gpt2-reward-model")]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("distilbert-sentiment")]
    public void TheTokenizerFitsTheCheckpointsVocabularyAndSpecialIds(string name)
    {
        string directory = HuggingFaceFixture.Directory(name);
        JsonObject config = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "config.json")))!.AsObject();
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(directory);
        Assert.Equal(config["vocab_size"]!.GetValue<int>(), tokenizer.VocabularySize);
        // gpt2-reward-model's config keeps GPT2Config's default bos/eos 50256, which no 512-token vocabulary has; only
        // ids inside the vocabulary can be compared.
        int size = tokenizer.VocabularySize;
        if (config["eos_token_id"] is JsonValue eos && eos.GetValue<int>() < size) Assert.Equal(eos.GetValue<int>(), tokenizer.EndOfTextId);
        if (config["bos_token_id"] is JsonValue bos && bos.GetValue<int>() < size) Assert.Equal(bos.GetValue<int>(), tokenizer.BeginOfTextId);
        if (config["pad_token_id"] is JsonValue pad) Assert.Equal(pad.GetValue<int>(), tokenizer.PaddingId);
        foreach (string text in Texts)
        {
            IReadOnlyList<int> ids = tokenizer.EncodeWithSpecialTokens(text);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
            if (tokenizer.Format == TokenizerFormat.ByteLevelBpe) Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("llama")]
    public void ByteLevelIdsAreThoseOfATextbookBpeOverTheMerges(string name)
    {
        string directory = HuggingFaceFixture.Directory(name);
        JsonObject model = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "tokenizer.json")))!["model"]!.AsObject();
        var vocabulary = model["vocab"]!.AsObject().ToDictionary(e => e.Key, e => e.Value!.GetValue<int>());
        var ranks = model["merges"]!.AsArray().Select((m, i) => (Pair: m!.AsArray()[0]!.GetValue<string>() + " " + m.AsArray()[1]!.GetValue<string>(), Rank: i))
            .ToDictionary(e => e.Pair, e => e.Rank);
        PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(directory);
        foreach (string text in Texts)
            Assert.Equal(ReferenceBpe(text, vocabulary, ranks), tokenizer.Encode(text));
        // A merge learned from the corpus applies: " the" is one token.
        Assert.Single(tokenizer.Encode(" the"));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("gpt2-reward-model")]
    public void Gpt2FoldersReadTheSameThroughVocabJsonAndMerges(string name)
    {
        string directory = HuggingFaceFixture.Directory(name);
        Gpt2Tokenizer gpt2 = Gpt2Tokenizer.FromDirectory(directory);
        PretrainedTokenizer auto = AutoTokenizer.FromPretrained(directory);
        Assert.Equal(auto.VocabularySize, gpt2.VocabularySize);
        Assert.Equal(auto.EndOfTextId, gpt2.EndOfTextId);
        foreach (string text in Texts) Assert.Equal(auto.Encode(text), gpt2.Encode(text));
    }

    /// <summary>BPE as Sennrich et al. (2016) and GPT-2 define it: split with GPT-2's pattern, spell each piece's UTF-8 bytes
    /// with GPT-2's byte alphabet, then merge the adjacent pair of lowest rank until none is left.</summary>
    private static List<int> ReferenceBpe(string text, Dictionary<string, int> vocabulary, Dictionary<string, int> ranks)
    {
        var alphabet = new char[256];
        for (int b = 0, next = 0; b < 256; b++)
            alphabet[b] = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255 ? (char)b : (char)(256 + next++);
        var ids = new List<int>();
        foreach (Match piece in Regex.Matches(text, @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"))
        {
            var parts = Encoding.UTF8.GetBytes(piece.Value).Select(b => alphabet[b].ToString()).ToList();
            while (true)
            {
                int best = -1, bestRank = int.MaxValue;
                for (int i = 0; i + 1 < parts.Count; i++)
                    if (ranks.TryGetValue(parts[i] + " " + parts[i + 1], out int rank) && rank < bestRank) (best, bestRank) = (i, rank);
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            ids.AddRange(parts.Select(p => vocabulary[p]));
        }
        return ids;
    }
}
