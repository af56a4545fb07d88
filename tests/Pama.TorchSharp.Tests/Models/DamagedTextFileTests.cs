using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pama.TorchSharp.Models;
using Xunit;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Damage that valid JSON can carry, and Microsoft.ML.Tokenizers' own errors: an escaped lone UTF-16 surrogate
/// (<c>"\ud800"</c>, valid JSON but no .NET string) in any string or key of every JSON file the library reads, invalid UTF-8
/// inside a safetensors header string, malformed <c>tokenizer.json</c> merges, and two tokens sharing an id. Every reader
/// refuses all of them with an <see cref="InvalidDataException"/> naming the file, never another exception type.
/// </summary>
public sealed class DamagedTextFileTests
{
    private const string LoneSurrogate = "\\ud800";

    private static string Data(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "TestData", .. parts]);

    /// <summary>Each JSON reader: the fixture folder it reads, the file damaged in a copy of it, and the read.</summary>
    public static TheoryData<string, string, string> JsonReaders => new()
    {
        { "GPT-2 config", Data("hf", "gpt2"), "config.json" },
        { "Llama config", Data("hf", "llama"), "config.json" },
        { "model type", Data("hf", "qwen2"), "config.json" },
        { "safetensors index", Data("hf", "gpt2-bf16-sharded"), "model.safetensors.index.json" },
        { "classifier config", Data("hf", "distilbert-sentiment"), "config.json" },
        { "PEFT adapter config", Data("peft", "gpt2-lora"), "adapter_config.json" },
        { "tokenizer config", Data("tokenizers", "llama3-style-bpe"), "tokenizer_config.json" },
        { "tokenizer.json", Data("tokenizers", "llama3-style-bpe"), "tokenizer.json" },
        { "vocab.json", Data("tokenizers", "qwen2-style-bpe"), "vocab.json" },
        { "GPT-2 vocab.json", Data("tokenizers", "qwen2-style-bpe"), "vocab.json" },
    };

    [Theory]
    [MemberData(nameof(JsonReaders))]
    public void ALoneSurrogateInAnyStringOrKeyIsRefusedNamingTheFile(string reader, string fixture, string file)
    {
        using TestDirectory dir = CopyOf(fixture);
        if (reader == "vocab.json") File.Delete(dir.File("tokenizer.json"));   // the vocab.json + merges.txt path
        string path = dir.File(file);
        byte[] good = File.ReadAllBytes(path);
        Read(reader, dir.Path, path);   // the intact file reads

        List<int> starts = StringStarts(good);
        Assert.NotEmpty(starts);
        // Up to 24 strings and keys spread over the file, always including the first and the last.
        int step = Math.Max(1, (starts.Count - 1) / 23);
        var chosen = starts.Where((_, i) => i % step == 0).Append(starts[^1]).Distinct();
        foreach (int start in chosen)
        {
            byte[] damaged = [.. good[..(start + 1)], .. Encoding.ASCII.GetBytes(LoneSurrogate), .. good[(start + 1)..]];
            File.WriteAllBytes(path, damaged);
            Exception? error = Record.Exception(() => Read(reader, dir.Path, path));
            Assert.True(error is InvalidDataException, $"{reader}: a lone surrogate at byte {start} gave {error?.GetType().Name ?? "no error"}: {error?.Message}");
            Assert.Contains(path, error!.Message);
        }
    }

    [Fact]
    public void InvalidUtf8OrALoneSurrogateInASafeTensorsHeaderStringIsRefusedNamingTheFile()
    {
        byte[] good = File.ReadAllBytes(Data("hf", "gpt2", Gpt2Model.WeightsFileName));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(good, 0);
        string header = Encoding.UTF8.GetString(good, 8, headerEnd - 8);
        int name = 8 + header.IndexOf("weight", StringComparison.Ordinal);   // inside the first tensor name with "weight" in it (ASCII)
        Assert.True(name > 8);

        using var dir = new TestDirectory();
        string path = dir.File(Gpt2Model.WeightsFileName);
        var cases = new List<(string What, byte[] Bytes)>
        {
            ("a 0xFF byte", Replace(good, name, [0xFF])),
            ("a lone continuation byte", Replace(good, name, [0x80])),
            ("an overlong encoding", Replace(good, name, [0xC0, 0xAF])),
            ("a truncated sequence", Replace(good, name, [0xE2, 0x82])),
            ("an encoded surrogate", Replace(good, name, [0xED, 0xA0, 0x80])),
            ("an escaped lone surrogate", Replace(good, name, Encoding.ASCII.GetBytes(LoneSurrogate))),
        };
        foreach ((string what, byte[] bytes) in cases)
        {
            File.WriteAllBytes(path, bytes);
            Exception? error = Record.Exception(() => SafeTensorsFile.Open(path).Dispose());
            Assert.True(error is InvalidDataException, $"{what}: {error?.GetType().Name ?? "no error"}: {error?.Message}");
            Assert.Contains(path, error!.Message);
        }
    }

    /// <summary>Malformed <c>model.merges</c> of a byte-level <c>tokenizer.json</c>.</summary>
    public static TheoryData<string> MalformedMerges => new()
    {
        """[["Ġ", 5]]""",
        """[[1, 2]]""",
        """[[null, "Ġ"]]""",
        """[["Ġ"]]""",
        """[["Ġ", "Ġ", "Ġ"]]""",
        """["Ġ Ġ Ġ"]""",
        """["Ġ"]""",
        """[" Ġ"]""",
        """["Ġ "]""",
        """[" "]""",
        """["zzqx qxzz"]""",
        """[["zzqx", "qxzz"]]""",
        """[{"a": "b"}]""",
        """[null]""",
        """[7]""",
        """ "Ġ Ġ" """,
        """ {"Ġ": "Ġ"} """,
    };

    [Theory]
    [MemberData(nameof(MalformedMerges))]
    public void MalformedTokenizerJsonMergesAreRefusedNamingTheFile(string merges)
    {
        using TestDirectory dir = CopyOf(Data("tokenizers", "llama3-style-bpe"));
        string path = dir.File("tokenizer.json");
        JsonObject root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        root["model"]!["merges"] = JsonNode.Parse(merges);
        File.WriteAllText(path, root.ToJsonString());

        Exception? error = Record.Exception(() => AutoTokenizer.FromPretrained(dir.Path));
        Assert.True(error is InvalidDataException, $"merges {merges}: {error?.GetType().Name ?? "no error"}: {error?.Message}");
        Assert.Contains(path, error!.Message);
    }

    [Fact]
    public void TwoTokensWithOneIdAreRefusedNamingTheFile()
    {
        // vocab.json + merges.txt, read by AutoTokenizer and by Gpt2Tokenizer.
        using (TestDirectory dir = CopyOf(Data("tokenizers", "qwen2-style-bpe")))
        {
            File.Delete(dir.File("tokenizer.json"));
            string path = dir.File("vocab.json");
            JsonObject vocabulary = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            vocabulary["A"] = vocabulary["B"]!.GetValue<int>();
            File.WriteAllText(path, vocabulary.ToJsonString());

            Exception? auto = Record.Exception(() => AutoTokenizer.FromPretrained(dir.Path));
            Assert.True(auto is InvalidDataException, $"AutoTokenizer: {auto?.GetType().Name ?? "no error"}: {auto?.Message}");
            Assert.Contains(path, auto!.Message);
            Exception? gpt2 = Record.Exception(() => Gpt2Tokenizer.FromDirectory(dir.Path));
            Assert.True(gpt2 is InvalidDataException, $"Gpt2Tokenizer: {gpt2?.GetType().Name ?? "no error"}: {gpt2?.Message}");
            Assert.Contains(path, gpt2!.Message);
        }

        // tokenizer.json's model.vocab.
        using (TestDirectory dir = CopyOf(Data("tokenizers", "llama3-style-bpe")))
        {
            string path = dir.File("tokenizer.json");
            JsonObject root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            JsonObject vocabulary = root["model"]!["vocab"]!.AsObject();
            string[] tokens = [.. vocabulary.Select(p => p.Key).Take(2)];
            vocabulary[tokens[0]] = vocabulary[tokens[1]]!.GetValue<int>();
            File.WriteAllText(path, root.ToJsonString());

            Exception? error = Record.Exception(() => AutoTokenizer.FromPretrained(dir.Path));
            Assert.True(error is InvalidDataException, $"{error?.GetType().Name ?? "no error"}: {error?.Message}");
            Assert.Contains(path, error!.Message);
        }
    }

    [Fact]
    public void InvalidUtf8InMergesTxtIsRefusedNamingTheFile()
    {
        using TestDirectory dir = CopyOf(Data("tokenizers", "qwen2-style-bpe"));
        File.Delete(dir.File("tokenizer.json"));
        string path = dir.File("merges.txt");
        byte[] good = File.ReadAllBytes(path);
        int at = Array.IndexOf(good, (byte)'\n') + 1;   // the first byte of the first merge
        File.WriteAllBytes(path, [.. good[..at], 0xFF, .. good[(at + 1)..]]);

        var error = Assert.Throws<InvalidDataException>(() => AutoTokenizer.FromPretrained(dir.Path));
        Assert.Contains(path, error.Message);
    }

    /// <summary>Each tokenizer file kind AutoTokenizer reads: fixture, file, and whether tokenizer.json is removed first.</summary>
    public static TheoryData<string, string, bool> TokenizerFiles => new()
    {
        { "llama3-style-bpe", "tokenizer.json", false },
        { "qwen2-style-bpe", "tokenizer.json", false },
        { "llama3-style-bpe", "tokenizer_config.json", false },
        { "qwen2-style-bpe", "vocab.json", true },
        { "qwen2-style-bpe", "merges.txt", true },
        { "wordpiece-bert-uncased", "vocab.txt", false },
        { "sentencepiece-llama2-style", "tokenizer.model", false },
    };

    [Theory]
    [MemberData(nameof(TokenizerFiles))]
    public void TruncatedOrFlippedTokenizerFilesAreRefusedNamingTheFileOrReadWhole(string fixture, string file, bool withoutTokenizerJson)
    {
        using TestDirectory dir = CopyOf(Data("tokenizers", fixture));
        if (withoutTokenizerJson) File.Delete(dir.File("tokenizer.json"));
        string path = dir.File(file);
        byte[] good = File.ReadAllBytes(path);
        var damaged = new List<(string What, byte[] Bytes)>();
        for (int i = 0; i < 40; i++)
        {
            int cut = (int)((long)good.Length * i / 40);
            damaged.Add(($"cut at {cut}", good[..cut]));
        }
        byte[] masks = [0x01, 0x20, 0x80, 0xFF];
        for (int i = 0; i < 160; i++)
        {
            int at = (int)((long)good.Length * i / 160) + i % 7;
            if (at >= good.Length) continue;
            byte[] copy = (byte[])good.Clone();
            copy[at] ^= masks[i % masks.Length];
            damaged.Add(($"byte {at} ^ {masks[i % masks.Length]:x2}", copy));
        }
        foreach ((string what, byte[] bytes) in damaged)
        {
            File.WriteAllBytes(path, bytes);
            Exception? error = Record.Exception(() =>
            {
                // A tokenizer that loads must also work: nothing is left to fail later.
                PretrainedTokenizer tokenizer = AutoTokenizer.FromPretrained(dir.Path);
                _ = tokenizer.Decode(tokenizer.Encode("Hello world, the 3 quick foxes!"));
            });
            if (error is null) continue;
            Assert.True(error is InvalidDataException, $"{file}, {what}: {error.GetType().Name}: {error.Message}");
            Assert.Contains(dir.Path, error.Message);
        }
    }

    private static void Read(string reader, string directory, string path)
    {
        switch (reader)
        {
            case "GPT-2 config": Gpt2Config.FromJson(path).Validate(); break;
            case "Llama config": LlamaConfig.FromJson(path); break;
            case "model type": AutoModelForCausalLM.ReadModelType(path); break;
            case "safetensors index": CheckpointReader.Open(directory).Dispose(); break;
            case "classifier config": ClassifierConfigFile.Load(path); break;
            case "PEFT adapter config": PeftLoraConfig.Read(path); break;
            case "GPT-2 vocab.json": Gpt2Tokenizer.FromDirectory(directory); break;
            default: AutoTokenizer.FromPretrained(directory); break;
        }
    }

    /// <summary>Byte offsets of the opening quote of every string and key (UTF-8, as the reader reports them).</summary>
    private static List<int> StringStarts(byte[] json)
    {
        var starts = new List<int>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && json[reader.TokenStartIndex] == (byte)'"')
                starts.Add((int)reader.TokenStartIndex);
        }
        return starts;
    }

    /// <summary>The file with <paramref name="bytes"/> written over its bytes at <paramref name="at"/> (same length: the header length stays right).</summary>
    private static byte[] Replace(byte[] file, int at, byte[] bytes)
    {
        byte[] copy = (byte[])file.Clone();
        bytes.CopyTo(copy, at);
        return copy;
    }

    private static TestDirectory CopyOf(string fixture)
    {
        var copy = new TestDirectory();
        foreach (string file in Directory.EnumerateFiles(fixture))
            File.Copy(file, copy.File(Path.GetFileName(file)));
        return copy;
    }
}
