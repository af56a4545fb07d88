using MathNet.Numerics.LinearAlgebra;

namespace Pama.Tests.Reference;

/// <summary>
/// Random Jacobians whose rows (the per-objective gradients) differ in norm by up to six decades: n = 2..7 rows in
/// 3..20 dimensions, each row scaled by 10^U(−3, 3), with rank-deficient (rows combined from fewer base rows, or
/// more rows than dimensions), repeated, exactly opposite, nearly opposite and zero rows. G = JJᵀ is computed in
/// float64 from J, and every reference below works on J itself, not on G.
/// </summary>
internal static class ScaledJacobians
{
    /// <summary>One case: J (row i = gᵢ), its Gramian, and a label naming the draw.</summary>
    public sealed record Case(double[][] Rows, Matrix<double> Gramian, string Label)
    {
        public int Count => Rows.Length;

        public int Dimension => Rows[0].Length;

        /// <summary>‖gᵢ‖ from the row itself.</summary>
        public double Norm(int i) => ScaledJacobians.Norm(Rows[i]);

        /// <summary>d = Σᵢ wᵢ gᵢ, computed on the rows.</summary>
        public double[] Combine(IReadOnlyList<double> w)
        {
            var d = new double[Dimension];
            for (int i = 0; i < Count; i++)
            {
                for (int k = 0; k < d.Length; k++)
                {
                    d[k] += w[i] * Rows[i][k];
                }
            }

            return d;
        }

        /// <summary>Σᵢ |wᵢ| ‖gᵢ‖: the size of the terms of d, the unit of the rounding of (Gw)ⱼ / ‖gⱼ‖.</summary>
        public double Spread(IReadOnlyList<double> w) => Enumerable.Range(0, Count).Sum(i => Math.Abs(w[i]) * Norm(i));
    }

    public static IEnumerable<Case> Generate(int seed, int perCount)
    {
        var random = new Random(seed);
        for (int n = 2; n <= 7; n++)
        {
            for (int repeat = 0; repeat < perCount; repeat++)
            {
                int dimension = random.Next(3, 21);
                string label = $"seed={seed} n={n} dim={dimension} repeat={repeat}";
                double[][] rows;
                if (random.Next(4) == 0 && n > 2)
                {
                    // Rank deficient: every row a combination of k < n base rows.
                    int k = random.Next(1, n);
                    double[][] basis = [.. Enumerable.Range(0, k).Select(_ => Gaussian(random, dimension))];
                    rows = [.. Enumerable.Range(0, n).Select(_ =>
                    {
                        var row = new double[dimension];
                        for (int b = 0; b < k; b++)
                        {
                            double coefficient = Normal(random);
                            for (int c = 0; c < dimension; c++)
                            {
                                row[c] += coefficient * basis[b][c];
                            }
                        }

                        return row;
                    })];
                    label += $" rank≤{k}";
                }
                else
                {
                    rows = [.. Enumerable.Range(0, n).Select(_ => Gaussian(random, dimension))];
                }

                switch (random.Next(6))
                {
                    case 0:
                        rows[1] = (double[])rows[0].Clone();
                        label += " repeated";
                        break;
                    case 1:
                        rows[1] = [.. rows[0].Select(x => -x)];
                        label += " opposite";
                        break;
                    case 2:
                        rows[1] = [.. rows[0].Select(x => -x + (1e-3 * Normal(random)))];
                        label += " nearly opposite";
                        break;
                    case 3:
                        rows[random.Next(n)] = new double[dimension];
                        label += " zero";
                        break;
                    default:
                        break;
                }

                // Scales 10^U(−3, 3); one case in three forces the extremes onto two rows.
                double[] exponents = [.. Enumerable.Range(0, n).Select(_ => -3.0 + (6.0 * random.NextDouble()))];
                if (random.Next(3) == 0)
                {
                    int small = random.Next(n);
                    int large = (small + 1 + random.Next(n - 1)) % n;
                    exponents[small] = -3.0;
                    exponents[large] = 3.0;
                }

                for (int i = 0; i < n; i++)
                {
                    double factor = Math.Pow(10.0, exponents[i]);
                    for (int c = 0; c < dimension; c++)
                    {
                        rows[i][c] *= factor;
                    }
                }

                yield return new Case(rows, Gramian(rows), label);
            }
        }
    }

    /// <summary>The case with every non-zero row divided by its norm (zero rows kept).</summary>
    public static Case Normalized(Case @case)
    {
        double[][] rows = [.. Enumerable.Range(0, @case.Count).Select(i =>
        {
            double norm = @case.Norm(i);
            return norm > 0.0 ? @case.Rows[i].Select(x => x / norm).ToArray() : (double[])@case.Rows[i].Clone();
        })];
        return new Case(rows, Gramian(rows), @case.Label + " (unit rows)");
    }

    /// <summary>G = JJᵀ in float64, exactly symmetric.</summary>
    public static Matrix<double> Gramian(double[][] rows)
    {
        int n = rows.Length;
        var g = Matrix<double>.Build.Dense(n, n);
        for (int i = 0; i < n; i++)
        {
            for (int j = i; j < n; j++)
            {
                double value = Dot(rows[i], rows[j]);
                g[i, j] = value;
                g[j, i] = value;
            }
        }

        return g;
    }

    public static double Dot(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        double sum = 0.0;
        for (int k = 0; k < a.Count; k++)
        {
            sum += a[k] * b[k];
        }

        return sum;
    }

    public static double Norm(IReadOnlyList<double> a) => Math.Sqrt(Dot(a, a));

    public static double Distance(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        Math.Sqrt(Enumerable.Range(0, a.Count).Sum(k => (a[k] - b[k]) * (a[k] - b[k])));

    /// <summary>The rows divided by their norms (zero rows left out), as a matrix.</summary>
    public static Matrix<double> UnitRows(Case @case, out int[] kept)
    {
        kept = [.. Enumerable.Range(0, @case.Count).Where(i => @case.Norm(i) > 0.0)];
        var unit = Matrix<double>.Build.Dense(kept.Length, @case.Dimension);
        for (int a = 0; a < kept.Length; a++)
        {
            double norm = @case.Norm(kept[a]);
            for (int c = 0; c < @case.Dimension; c++)
            {
                unit[a, c] = @case.Rows[kept[a]][c] / norm;
            }
        }

        return unit;
    }

    /// <summary>
    /// min over the simplex of ‖Σᵢ cᵢgᵢ‖², by enumerating supports S: the affine minimiser over S solves
    /// G̃_SS z = λ a_S, a_Sᵀ z = 1 with G̃ = J̃J̃ᵀ of the unit rows, aᵢ = 1/‖gᵢ‖ and c = z/‖g‖ (well scaled at any
    /// gradient norms); among the candidates with c ≥ 0 the smallest ‖Jᵀc‖², evaluated on the rows, is the optimum.
    /// A zero row makes the optimum 0.
    /// </summary>
    public static double MinNormSquared(Case @case)
    {
        if (Enumerable.Range(0, @case.Count).Any(i => @case.Norm(i) == 0.0))
        {
            return 0.0;
        }

        var unit = UnitRows(@case, out _);
        var g = unit * unit.Transpose();
        int n = @case.Count;
        double best = double.PositiveInfinity;
        for (int subset = 1; subset < (1 << n); subset++)
        {
            int[] support = [.. Enumerable.Range(0, n).Where(i => (subset & (1 << i)) != 0)];
            int m = support.Length;
            double[] a = [.. support.Select(i => 1.0 / @case.Norm(i))];
            double aNorm = Norm(a);
            var system = Matrix<double>.Build.Dense(m + 1, m + 1);
            var rhs = Vector<double>.Build.Dense(m + 1);
            for (int r = 0; r < m; r++)
            {
                for (int s = 0; s < m; s++)
                {
                    system[r, s] = g[support[r], support[s]];
                }

                system[r, m] = -a[r] / aNorm;
                system[m, r] = a[r] / aNorm;
            }

            rhs[m] = 1.0 / aNorm;
            var solution = system.Svd().Solve(rhs);
            var c = new double[n];
            double largest = Enumerable.Range(0, m).Max(r => Math.Abs(solution[r]));
            if (Enumerable.Range(0, m).Any(r => !double.IsFinite(solution[r]) || solution[r] < -1e-12 * largest))
            {
                continue;
            }

            for (int r = 0; r < m; r++)
            {
                c[support[r]] = Math.Max(solution[r], 0.0) * a[r];
            }

            double sum = c.Sum();
            if (!(sum > 0.0))
            {
                continue;
            }

            var d = @case.Combine([.. c.Select(x => x / sum)]);
            best = Math.Min(best, Dot(d, d));
        }

        return best;
    }

    /// <summary>
    /// The Euclidean projection of y onto the dual cone {x : gⱼ·x ≥ 0 for all j}, by brute force in the space of
    /// the gradients: the cone is that of the unit rows, and the projection is the projection of y onto the null
    /// space of the rows active at it; every subset A is tried (null space from an SVD of the unit rows in A) and the
    /// nearest candidate that lies in the cone (up to 10⁻¹³‖y‖) is the projection.
    /// </summary>
    public static double[] ProjectOntoDualCone(Case @case, double[] y)
    {
        var unit = UnitRows(@case, out int[] kept);
        int m = kept.Length;
        double yNorm = Norm(y);
        var target = Vector<double>.Build.DenseOfArray(y);
        double[]? best = null;
        double bestDistance = double.PositiveInfinity;
        for (int subset = 0; subset < (1 << m); subset++)
        {
            int[] active = [.. Enumerable.Range(0, m).Where(a => (subset & (1 << a)) != 0)];
            Vector<double> x = target.Clone();
            if (active.Length > 0)
            {
                var rowsA = Matrix<double>.Build.Dense(active.Length, @case.Dimension, (r, c) => unit[active[r], c]);
                var svd = rowsA.Svd(computeVectors: true);
                double top = svd.S[0];
                for (int k = 0; k < svd.S.Count; k++)
                {
                    if (svd.S[k] > 1e-10 * top)
                    {
                        var v = svd.VT.Row(k);
                        x -= v.DotProduct(target) * v;
                    }
                }
            }

            var cosines = unit * x;
            if (cosines.Minimum() < -1e-13 * yNorm)
            {
                continue;
            }

            double distance = (x - target).L2Norm();
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = x.ToArray();
            }
        }

        return best!;
    }

    private static double[] Gaussian(Random random, int dimension) => [.. Enumerable.Range(0, dimension).Select(_ => Normal(random))];

    private static double Normal(Random random) =>
        Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2.0 * Math.PI * random.NextDouble());
}

/// <summary>Singular values of J by one-sided (Hestenes) Jacobi on its rows, accurate to high relative precision for rows of any scale.</summary>
internal static class RowJacobi
{
    /// <summary>The singular values of the rows (largest first): the norms of the rows once rotated to be mutually orthogonal.</summary>
    public static double[] SingularValues(double[][] rows)
    {
        double[][] u = [.. rows.Select(r => (double[])r.Clone())];
        int n = u.Length;
        for (int sweep = 0; sweep < 60; sweep++)
        {
            bool rotated = false;
            for (int i = 0; i < n - 1; i++)
            {
                for (int j = i + 1; j < n; j++)
                {
                    double alpha = ScaledJacobians.Dot(u[i], u[i]);
                    double beta = ScaledJacobians.Dot(u[j], u[j]);
                    double gamma = ScaledJacobians.Dot(u[i], u[j]);
                    if (gamma == 0.0 || Math.Abs(gamma) <= 1e-16 * Math.Sqrt(alpha * beta))
                    {
                        continue;
                    }

                    rotated = true;
                    double zeta = (beta - alpha) / (2.0 * gamma);
                    double t = Math.Sign(zeta == 0.0 ? 1.0 : zeta) / (Math.Abs(zeta) + Math.Sqrt(1.0 + (zeta * zeta)));
                    double c = 1.0 / Math.Sqrt(1.0 + (t * t));
                    double s = c * t;
                    for (int k = 0; k < u[i].Length; k++)
                    {
                        double a = u[i][k], b = u[j][k];
                        u[i][k] = (c * a) - (s * b);
                        u[j][k] = (s * a) + (c * b);
                    }
                }
            }

            if (!rotated)
            {
                break;
            }
        }

        return [.. u.Select(ScaledJacobians.Norm).OrderByDescending(x => x)];
    }
}
