using System.Buffers.Binary;
using System.Text;
using Pama.TorchSharp.Models;
using Pama.TorchSharp.Tests.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pama.TorchSharp.Tests.Models;

/// <summary>
/// Damaged safetensors, config.json and tokenizer files (truncated, bytes flipped, sizes absurd) raise an
/// <see cref="InvalidDataException"/> naming the file, never a native abort, a huge allocation or another exception
/// type, and a model that refuses new weights keeps its old ones bit for bit. The intact files are the Hugging Face
/// fixture <c>TestData/hf/gpt2</c> (written by transformers).
/// </summary>
public sealed class DamagedModelFileTests
{
    private static readonly string Fixture = Path.Combine(AppContext.BaseDirectory, "TestData", "hf", "gpt2");

    private static byte[] Weights => File.ReadAllBytes(Path.Combine(Fixture, Gpt2Model.WeightsFileName));

    private static byte[] Config => File.ReadAllBytes(Path.Combine(Fixture, Gpt2Model.ConfigFileName));

    private static long HeaderEnd(byte[] safetensors) => 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(safetensors);

    [Fact]
    public void TruncatedSafeTensorsAreRefusedNamingTheFile()
    {
        byte[] good = Weights;
        long headerEnd = HeaderEnd(good);
        var cuts = new SortedSet<long> { 0, 1, 7, 8, 9, headerEnd - 1, headerEnd, headerEnd + 1, good.Length - 1 };
        for (long at = 10; at < headerEnd; at += Math.Max(1, headerEnd / 40)) cuts.Add(at);
        for (int i = 1; i < 30; i++) cuts.Add(headerEnd + (good.Length - headerEnd) * i / 30);

        using var dir = new TestDirectory();
        string path = dir.File("model.safetensors");
        foreach (long cut in cuts)
        {
            File.WriteAllBytes(path, good[..(int)cut]);
            var error = Assert.Throws<InvalidDataException>(() => ReadEverything(path));
            Assert.Contains(path, error.Message);
        }
        // Trailing bytes are refused too: the tensors must end where the file ends.
        File.WriteAllBytes(path, [.. good, 0, 0, 0, 0]);
        Assert.Contains(path, Assert.Throws<InvalidDataException>(() => ReadEverything(path)).Message);
    }

    [Fact]
    public void FlippedBytesInSafeTensorsNeverHalfLoadAModel()
    {
        byte[] good = Weights;
        long headerEnd = HeaderEnd(good);
        using var dir = new TestDirectory();
        string path = dir.File("model.safetensors");
        using Gpt2Model model = Gpt2Model.FromPretrained(Fixture);
        var original = TinyModels.Snapshot(model);

        // Flips in the length prefix, all over the JSON header, and in the data (where an exponent flip makes inf or NaN).
        var positions = new SortedSet<long> { 0, 3, 7 };
        for (long at = 8; at < headerEnd; at += 41) positions.Add(at);
        for (int i = 0; i < 40; i++) positions.Add(headerEnd + (good.Length - headerEnd) * i / 40 + 3);
        int refused = 0;
        foreach (long at in positions)
        {
            foreach (byte mask in new byte[] { 0x01, 0x7F })
            {
                byte[] copy = (byte[])good.Clone();
                copy[at] ^= mask;
                File.WriteAllBytes(path, copy);
                try
                {
                    model.LoadWeights(path);
                }
                catch (InvalidDataException e)
                {
                    refused++;
                    Assert.Contains(path, e.Message);
                    Assert.True(TinyModels.BitwiseEqual(original, TinyModels.Snapshot(model)), $"A refused file (byte {at} ^ {mask:x2}) changed the model.");
                    continue;
                }
                // Accepted (a flip in a value, or one JSON can absorb): put the fixture's weights back for the next round.
                model.LoadWeights(Path.Combine(Fixture, Gpt2Model.WeightsFileName));
            }
        }
        Assert.True(refused > positions.Count / 2, $"Only {refused} of {2 * positions.Count} damaged files were refused.");
    }

    [Fact]
    public void TruncatedOrFlippedConfigsAreRefusedNamingTheFileOrReadAsAValidConfig()
    {
        byte[] good = Config;
        using var dir = new TestDirectory();
        string path = dir.File("config.json");
        int refused = 0;
        int tried = 0;
        for (int cut = 0; cut < good.Length; cut += 3, tried++)
            refused += Outcome(good[..cut]);
        for (int at = 0; at < good.Length; at++)
            foreach (byte mask in at % 4 == 0 ? new byte[] { 0x01, 0x80 } : [0x01])
            {
                byte[] copy = (byte[])good.Clone();
                copy[at] ^= mask;
                refused += Outcome(copy);
                tried++;
            }
        Assert.True(refused > tried / 3, $"Only {refused} of {tried} damaged configs were refused.");

        int Outcome(byte[] bytes)
        {
            File.WriteAllBytes(path, bytes);
            try
            {
                Gpt2Config.FromJson(path).Validate();
                return 0;
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(path, e.Message);
                return 1;
            }
        }
    }

    [Theory]
    [InlineData("n_embd", 1_000_000_000L)]        // 10⁹-wide hidden states: ~10¹⁹ bytes if allocated
    [InlineData("n_embd", 1_073_741_824L)]        // 4·n_embd overflows 32 bits
    [InlineData("n_positions", 2_000_000_000L)]   // 2·10⁹ learned positions
    [InlineData("vocab_size", 2_147_483_647L)]    // the largest int
    [InlineData("n_layer", 100_000L)]
    [InlineData("n_inner", 2_000_000_000L)]
    public void AbsurdSizesInAConfigFailBeforeAnythingIsAllocated(string key, long value)
    {
        using var dir = new TestDirectory();
        string config = Encoding.UTF8.GetString(Config);
        var json = System.Text.Json.Nodes.JsonNode.Parse(config)!.AsObject();
        json[key] = value;
        if (key == "n_embd") json["n_head"] = 1;
        File.WriteAllText(dir.File(Gpt2Model.ConfigFileName), json.ToJsonString());
        File.Copy(Path.Combine(Fixture, Gpt2Model.WeightsFileName), dir.File(Gpt2Model.WeightsFileName));

        var error = Assert.Throws<InvalidDataException>(() => Gpt2Model.FromPretrained(dir.Path).Dispose());
        Assert.Contains(dir.File(Gpt2Model.ConfigFileName), error.Message);
    }

    [Theory]
    [InlineData("llama", "hidden_size")]
    [InlineData("qwen2", "intermediate_size")]
    [InlineData("gpt2-bf16-sharded", "n_positions")]
    public void AbsurdSizesFailBeforeAllocatingForEveryFamilyAndShardedWeights(string fixture, string key)
    {
        using TestDirectory dir = HuggingFaceFixture.Copy(fixture);
        string configPath = Path.Combine(dir.Path, Gpt2Model.ConfigFileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json[key] = 1_000_000_000;
        File.WriteAllText(configPath, json.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path).Dispose());
        Assert.Contains(configPath, error.Message);
    }

    [Fact]
    public void ATruncatedShardIsRefusedNamingTheShard()
    {
        using TestDirectory dir = HuggingFaceFixture.Copy("gpt2-bf16-sharded");
        string shard = Directory.GetFiles(dir.Path, "model-*.safetensors").Order().Last();
        byte[] good = File.ReadAllBytes(shard);
        foreach (int cut in new[] { 0, 4, 9, (int)HeaderEnd(good) - 1, (int)HeaderEnd(good) + 1, good.Length / 2, good.Length - 1 })
        {
            File.WriteAllBytes(shard, good[..cut]);
            var error = Assert.Throws<InvalidDataException>(() => AutoModelForCausalLM.FromPretrained(dir.Path).Dispose());
            Assert.Contains(shard, error.Message);
        }
    }

    [Fact]
    public void AConfigFarLargerThanAnyConfigIsRefusedUnread()
    {
        using var dir = new TestDirectory();
        string path = dir.File("config.json");
        using (var stream = File.Create(path)) stream.SetLength(64L << 20);
        var error = Assert.Throws<InvalidDataException>(() => Gpt2Config.FromJson(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void DamagedTokenizerFilesAreRefusedNamingTheFiles()
    {
        byte[] vocab = Encoding.UTF8.GetBytes("""{"H": 0, "e": 1, "l": 2, "o": 3, "He": 4, "ll": 5, "Hell": 6, "Hello": 7, "<|endoftext|>": 8}""");
        byte[] merges = Encoding.UTF8.GetBytes("#version: 0.2\nH e\nl l\nHe ll\nHell o\n");
        using var dir = new TestDirectory();
        for (int cut = 0; cut <= vocab.Length; cut++)
            Outcome(vocab[..cut], merges);
        for (int cut = 0; cut <= merges.Length; cut++)
            Outcome(vocab, merges[..cut]);
        for (int at = 0; at < vocab.Length; at++)
        {
            byte[] copy = (byte[])vocab.Clone();
            copy[at] ^= 0x20;
            Outcome(copy, merges);
        }
        // The intact pair loads.
        Outcome(vocab, merges);
        Assert.Equal(new[] { 7 }, Gpt2Tokenizer.FromDirectory(dir.Path).Encode("Hello"));

        void Outcome(byte[] vocabBytes, byte[] mergesBytes)
        {
            File.WriteAllBytes(dir.File("vocab.json"), vocabBytes);
            File.WriteAllBytes(dir.File("merges.txt"), mergesBytes);
            try
            {
                Gpt2Tokenizer.FromDirectory(dir.Path);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(dir.Path, e.Message);
            }
        }
    }

    private static void ReadEverything(string path)
    {
        using SafeTensorsFile file = SafeTensorsFile.Open(path);
        foreach (string name in file.Entries.Keys)
        {
            using Tensor t = file.Read(name);
        }
    }
}
