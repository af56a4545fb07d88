namespace Pama.Tests.Reference;

/// <summary>
/// Seeded generator of adversarial statistic vectors: ties, exact (signed) zeros, subnormals,
/// magnitudes up to double.MaxValue, one-sign and mixed-sign vectors.
/// </summary>
internal sealed class StatisticsGenerator(int seed)
{
    private static readonly double[] Specials =
    [
        0.0, -0.0, double.Epsilon, -double.Epsilon, 1e-300, -1e-300, 1e300, -1e300,
        double.MaxValue, -double.MaxValue, double.MinValue, 2.2250738585072014E-308, -2.2250738585072014E-308,
        1.0, -1.0, 0.5, -0.5, 1e-320, -1e-320,
    ];

    private readonly Random random = new(seed);

    public Random Random => random;

    public int NextCount() => random.Next(5) switch
    {
        0 => 1,
        1 => random.Next(1, 5),
        2 => random.Next(1, 10),
        3 => random.Next(1, 40),
        _ => random.Next(40, 130),
    };

    public double[] Next() => Next(NextCount());

    public double[] Next(int n)
    {
        var a = new double[n];
        int mode = random.Next(7);
        var pool = new double[random.Next(1, 4)];
        for (int i = 0; i < pool.Length; i++)
        {
            pool[i] = NextValue(random.Next(4));
        }

        for (int i = 0; i < n; i++)
        {
            a[i] = mode switch
            {
                0 => (random.NextDouble() * 2.0) - 1.0,
                1 => pool[random.Next(pool.Length)],
                2 => Specials[random.Next(Specials.Length)],
                3 => Math.Abs(NextValue(random.Next(4))) + double.Epsilon,
                4 => -Math.Abs(NextValue(random.Next(4))) - double.Epsilon,
                5 => random.Next(3) == 0 ? 0.0 : NextValue(random.Next(4)),
                _ => NextValue(random.Next(4)),
            };
        }

        return a;
    }

    private double NextValue(int kind)
    {
        double sign = random.Next(2) == 0 ? -1.0 : 1.0;
        return kind switch
        {
            0 => sign * random.Next(0, 4),
            1 => sign * Math.Pow(10.0, (random.NextDouble() * 616.0) - 308.0),
            2 => sign * double.Epsilon * random.Next(1, 1000),
            _ => sign * random.NextDouble() * double.MaxValue,
        };
    }
}
