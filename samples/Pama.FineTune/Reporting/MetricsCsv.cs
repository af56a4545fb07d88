using Pama.TorchSharp.IO;
using System.Globalization;
using System.Text;

namespace Pama.FineTune.Reporting;

/// <summary>Reads and writes <c>metrics.csv</c>: header <c>step,method,seed,objective,mean_reward,weight,s_star,kl</c>, invariant culture, round-trip doubles.</summary>
public static class MetricsCsv
{
    /// <summary>The header line.</summary>
    public const string Header = "step,method,seed,objective,mean_reward,weight,s_star,kl";

    /// <summary>Writes all rows to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, IEnumerable<MetricRow> rows)
    {
        var text = new StringBuilder().AppendLine(Header);
        foreach (MetricRow row in rows)
        {
            text.Append(row.Step.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(row.Method).Append(',')
                .Append(row.Seed.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(row.Objective).Append(',')
                .Append(Format(row.MeanReward)).Append(',')
                .Append(Format(row.Weight)).Append(',')
                .Append(Format(row.SStar)).Append(',')
                .Append(Format(row.Kl)).AppendLine();
        }

        AtomicFile.WriteAllText(path, text.ToString());
    }

    /// <summary>Reads the rows of a file written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The header or a line is malformed (the message names the line).</exception>
    public static List<MetricRow> Read(string path)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || lines[0] != Header) throw new InvalidDataException($"{path}: expected the header '{Header}'.");
        var rows = new List<MetricRow>(lines.Length - 1);
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            string[] f = lines[i].Split(',');
            if (f.Length != 8) throw new InvalidDataException($"{path}, line {i + 1}: expected 8 fields, found {f.Length}.");
            try
            {
                rows.Add(new MetricRow(
                    int.Parse(f[0], CultureInfo.InvariantCulture), f[1], int.Parse(f[2], CultureInfo.InvariantCulture), f[3],
                    Parse(f[4]), Parse(f[5]), Parse(f[6]), Parse(f[7])));
            }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                throw new InvalidDataException($"{path}, line {i + 1}: {e.Message}", e);
            }
        }

        return rows;
    }

    private static string Format(double value) => double.IsNaN(value) ? "" : value.ToString("R", CultureInfo.InvariantCulture);

    private static double Parse(string field) => field.Length == 0 ? double.NaN : double.Parse(field, CultureInfo.InvariantCulture);
}
