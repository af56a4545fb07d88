using System.Globalization;
using Pama.Aggregation;

// Usage: dotnet run --project samples/Pama.Aggregation -c Release -- [--output DIR] [--steps N] [--learning-rate LR] [--seed S]
// Defaults: aggregation-demo, 10,000 steps of Adam at 0.01 (the authors run 100,000 at 0.001: the same path length).
string output = "aggregation-demo";
int steps = 10_000;
double learningRate = 0.01;
long seed = 0;
for (int a = 0; a < args.Length; a++)
{
    string Value() => a + 1 < args.Length ? args[++a] : throw new ArgumentException($"Option {args[a]} needs a value.");
    switch (args[a])
    {
        case "--output": output = Value(); break;
        case "--steps": steps = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--learning-rate": learningRate = double.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--seed": seed = long.Parse(Value(), CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown option {args[a]}; options: --output, --steps, --learning-rate, --seed.");
    }
}

var started = System.Diagnostics.Stopwatch.StartNew();
var summaries = Demo.Run(output, steps, learningRate, seed);
Console.WriteLine($"{"method",-12} {"start",-14} {"end",-20} {"f1",9} {"f2",9}  Pareto-stationary");
foreach (var row in summaries)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{row.Method,-12} ({row.Start.X1,5:F1},{row.Start.X2,5:F1}) ({row.End.X1,8:F3},{row.End.X2,8:F3}) {row.F1,9:F3} {row.F2,9:F3}  {(row.ParetoStationary ? "yes" : "no")}"));
}

Console.WriteLine($"Wrote {Path.Combine(output, "toy-paths.png")} and toy-paths.csv in {started.Elapsed.TotalSeconds:F1} s.");
