using MathNet.Numerics.LinearAlgebra;
using Pama.Tests.Reference;
using Pama.Weightings;
using Xunit;

namespace Pama.Tests.Weightings;

/// <summary>
/// Every Gramian aggregator's defining property when the gradient norms differ by up to six decades (rows of J
/// scaled by 10^U(−3, 3), so G spans 1e-6..1e6), on 180 random Jacobians with n = 2..7 (rank-deficient, repeated,
/// opposite, nearly opposite and zero rows), checked on J itself against independent float64 references.
/// </summary>
/// <remarks>
/// Each property is measured against the natural scale of its constraint, at the tolerance stated in the
/// aggregator's documentation (<see cref="Tolerance"/>). A float64 Gramian carries errors of about ε·‖gᵢ‖‖gⱼ‖ in
/// Gᵢⱼ, so (Gw)ᵢ is known only to about ε·‖gᵢ‖·Σⱼ|wⱼ|‖gⱼ‖: where a property is an inner product gᵢ·d it is also
/// allowed <see cref="Floor"/> · ‖gᵢ‖ · Σⱼ|wⱼ|‖gⱼ‖, the rounding of the Gramian itself, which only matters where d
/// nearly cancels (‖d‖ ≪ Σⱼ|wⱼ|‖gⱼ‖). Every failure is collected, so a failing test reports how many cases fail.
/// </remarks>
public sealed class ScaleInvarianceTests
{
    /// <summary>The relative tolerance of the defining properties, as stated in the aggregators' docs.</summary>
    private const double Tolerance = 1e-9;

    /// <summary>The rounding floor, in units of ‖gᵢ‖ · Σⱼ|wⱼ|‖gⱼ‖.</summary>
    private const double Floor = 1e-11;

    private const int PerCount = 30;

    public static TheoryData<int> Seeds => [2601, 2602];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void MgdaIsTheMinNormPoint(int seed)
    {
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var c = new double[n];
            double value = new MgdaWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), c);
            var d = @case.Combine(c);
            double norm2 = ScaledJacobians.Dot(d, d);
            double spread = @case.Spread(c);
            failures.Check(Math.Abs(c.Sum() - 1.0) <= 1e-12 && c.All(x => x >= 0.0), @case, $"c = [{string.Join(", ", c)}] not in the simplex");
            // ‖d‖² = cᵀGc is known from a float64 Gramian only to about ε·σ², σ = Σⱼcⱼ‖gⱼ‖: where ‖d‖ ≤ 10⁻⁷σ, 0 is in
            // the hull up to that rounding, d is 0 to the precision G carries and the sign of gᵢ·d is noise (the value
            // is still checked against the exact minimum below).
            for (int i = 0; i < n && norm2 > 1e-14 * spread * spread; i++)
            {
                // Optimality of the min-norm point: gᵢ·d ≥ ‖d‖²(1 − tol) for every i.
                double dot = ScaledJacobians.Dot(@case.Rows[i], d);
                double bound = (norm2 * (1.0 - Tolerance)) - (Floor * @case.Norm(i) * spread);
                failures.Check(dot >= bound, @case, $"g{i}·d = {dot:R} < ‖d‖²(1 − tol) = {norm2:R} (cos {dot / (@case.Norm(i) * Math.Sqrt(norm2)):G3})");
            }

            double exact = ScaledJacobians.MinNormSquared(@case);
            failures.Check(norm2 <= (exact * (1.0 + Tolerance)) + (Floor * spread * spread), @case, $"‖d‖² = {norm2:R} above the exact minimum {exact:R}");
            failures.Check(Math.Abs(value - norm2) <= (1e-9 * norm2) + (Floor * spread * spread), @case, $"returned {value:R}, ‖d‖² = {norm2:R}");
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void UpgradIsNonConflictingAndEveryProjectionIsExact(int seed)
    {
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var w = new double[n];
            new UpgradWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            CheckNonConflicting(failures, @case, w);
            for (int k = 0; k < n; k++)
            {
                // UPGrad with the preference eₖ is the projection of gₖ alone.
                var p = new double[n];
                p[k] = 1.0;
                var v = new double[n];
                new UpgradWeighting(p).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), v);
                CheckProjection(failures, @case, @case.Rows[k], v, $"projection of g{k}");
            }
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void DualProjIsNonConflictingAndTheProjectionIsExact(int seed)
    {
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var w = new double[n];
            new DualProjWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            CheckNonConflicting(failures, @case, w);
            CheckProjection(failures, @case, @case.Combine(Enumerable.Repeat(1.0 / n, n).ToArray()), w, "projection of the mean");
        }

        failures.AssertNone();
    }

    [Theory]
    [InlineData(2601, 0.5)]
    [InlineData(2602, 2.0)]
    public void CaGradAttainsTheBestWorstCaseImprovement(int seed, double radius)
    {
        // Weak duality, evaluated on the rows: for any d in the ball ‖d − g₀‖ ≤ c‖g₀‖ and any w in the simplex,
        // minᵢ gᵢ·d ≤ max over the ball ≤ F(w) = g_w·g₀ + c‖g₀‖‖g_w‖. The returned d and the w* read back from the
        // weights (w = 1/n + ρw*) must close that bracket: then d attains the maximum over the ball.
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var w = new double[n];
            new CaGradWeighting(radius, rescale: false).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            var mean = @case.Combine(Enumerable.Repeat(1.0 / n, n).ToArray());
            double meanNorm = ScaledJacobians.Norm(mean);
            if (w.All(x => x == 0.0))
            {
                // Declared Pareto-stationary: 0 must be in the hull of the unit gradients (up to 10⁻⁶).
                double minNorm = Math.Sqrt(ScaledJacobians.MinNormSquared(ScaledJacobians.Normalized(@case)));
                failures.Check(minNorm <= 1e-6, @case, $"zero weights but the min-norm point of the unit gradients has norm {minNorm:R}");
                continue;
            }

            var d = @case.Combine(w);
            double spread = @case.Spread(w);
            double distance = ScaledJacobians.Distance(d, mean);
            failures.Check(distance <= (radius * meanNorm * (1.0 + Tolerance)) + (Floor * spread), @case, $"‖d − g₀‖ = {distance:R} > c‖g₀‖ = {radius * meanNorm:R}");

            double[] dots = [.. @case.Rows.Select(g => ScaledJacobians.Dot(g, d))];
            int worst = Array.IndexOf(dots, dots.Min());
            double[] star = [.. w.Select(x => Math.Max(x - (1.0 / n), 0.0))];
            double total = star.Sum();
            var gw = @case.Combine([.. star.Select(x => total > 0.0 ? x / total : 1.0 / n)]);
            double upper = ScaledJacobians.Dot(gw, mean) + (radius * meanNorm * ScaledJacobians.Norm(gw));
            double scale = Math.Max(Math.Abs(upper), Math.Abs(dots[worst]));
            failures.Check(
                upper - dots[worst] <= (1e-8 * scale) + (Floor * @case.Norm(worst) * spread),
                @case,
                $"worst-case improvement {dots[worst]:R} (objective {worst}) below the dual bound {upper:R}");
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ImtlGHasEqualProjectionsOnTheUnitGradients(int seed)
    {
        var failures = new Failures();
        int consistent = 0;
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            // Equal projections exist iff (‖gᵢ‖)ᵢ is in the range of G, i.e. 1 is in the range of the unit rows J̃.
            var unit = ScaledJacobians.UnitRows(@case, out int[] kept);
            if (kept.Length == 0)
            {
                continue;
            }

            // The residual of 1 off the range of J̃, from a truncated SVD (the unit rows have singular values ≤ √n).
            var ones = Vector<double>.Build.Dense(kept.Length, 1.0);
            var svd = unit.Svd(computeVectors: true);
            var inRange = Vector<double>.Build.Dense(kept.Length);
            for (int k = 0; k < svd.S.Count; k++)
            {
                if (svd.S[k] > 1e-9)
                {
                    var u = svd.U.Column(k);
                    inRange += u.DotProduct(ones) * u;
                }
            }

            if ((inRange - ones).L2Norm() > 1e-8 * Math.Sqrt(kept.Length))
            {
                continue;
            }

            consistent++;
            var w = new double[@case.Count];
            new ImtlGWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            failures.Check(Math.Abs(w.Sum() - 1.0) <= 1e-9, @case, $"weights sum to {w.Sum():R}");
            var d = @case.Combine(w);
            double norm = ScaledJacobians.Norm(d);
            double spread = @case.Spread(w);
            double[] projections = [.. kept.Select(i => ScaledJacobians.Dot(@case.Rows[i], d) / @case.Norm(i))];
            for (int a = 1; a < kept.Length; a++)
            {
                double difference = Math.Abs(projections[a] - projections[0]);
                failures.Check(difference <= (Tolerance * norm) + (Floor * spread), @case, $"projection on ĝ{kept[a]} = {projections[a]:R}, on ĝ{kept[0]} = {projections[0]:R} (‖d‖ = {norm:R})");
            }
        }

        Assert.True(consistent > 60, $"only {consistent} consistent cases");
        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void AlignedMtlGradientsHaveEqualSingularValues(int seed)
    {
        // The aligned gradients ĝₖ = Σⱼ Bⱼₖ gⱼ (column k of B from the preference eₖ) must have all R non-zero
        // singular values equal to σ_R(J), the smallest non-zero singular value of J, and the rest 0.
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var unit = ScaledJacobians.UnitRows(@case, out _);
            int rank = unit.RowCount == 0 ? 0 : unit.Svd(computeVectors: false).S.Count(s => s > 1e-9 * Math.Sqrt(n));
            if (rank == 0)
            {
                continue;
            }

            double target = RowJacobi.SingularValues(@case.Rows)[rank - 1];
            var aligned = new double[n][];
            for (int k = 0; k < n; k++)
            {
                var p = new double[n];
                p[k] = 1.0;
                var b = new double[n];
                new AlignedMtlWeighting(p).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), b);
                aligned[k] = @case.Combine(b);
            }

            double[] values = RowJacobi.SingularValues(aligned);
            for (int k = 0; k < n; k++)
            {
                double expected = k < rank ? target : 0.0;
                failures.Check(Math.Abs(values[k] - expected) <= 1e-7 * target, @case, $"aligned singular value {k} = {values[k]:R}, expected {expected:R}");
            }
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void NashMtlSolvesTheBargainingEquations(int seed)
    {
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var alpha = new double[n];
            new NashMtlWeighting().ComputeWeights(WeightingInput.FromGramian(@case.Gramian), alpha);
            if (alpha.All(x => x == 0.0))
            {
                // No solution exists exactly when 0 is in the hull of the gradients; within 10⁻⁵ of that (unit
                // gradients) Newton's Hessian G̃ + diag(1/β²) is singular at working precision and the weights are 0 too.
                double minNorm = Math.Sqrt(ScaledJacobians.MinNormSquared(ScaledJacobians.Normalized(@case)));
                failures.Check(minNorm <= 1e-5, @case, $"zero weights but the min-norm point of the unit gradients has norm {minNorm:R}");
                continue;
            }

            var d = @case.Combine(alpha);
            double spread = @case.Spread(alpha);
            for (int i = 0; i < n; i++)
            {
                // αᵢ gᵢ·d = 1, relative; the floor is the rounding of (Gα)ᵢ times αᵢ.
                double product = alpha[i] * ScaledJacobians.Dot(@case.Rows[i], d);
                double floor = Floor * alpha[i] * @case.Norm(i) * spread;
                failures.Check(alpha[i] > 0.0 && Math.Abs(product - 1.0) <= Tolerance + floor, @case, $"α{i}·(g{i}·d) = {product:R}");
            }
        }

        failures.AssertNone();
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void PcGradIsTheSumOfTheExplicitProjections(int seed)
    {
        // Algorithm 1 on the vectors, in the orders the weighting draws for (seed, step 0, objective i).
        var failures = new Failures();
        foreach (var @case in ScaledJacobians.Generate(seed, PerCount))
        {
            int n = @case.Count;
            var w = new double[n];
            new PcGradWeighting(seed).ComputeWeights(WeightingInput.FromGramian(@case.Gramian), w);
            var expected = new double[@case.Dimension];
            var order = new int[n];
            for (int i = 0; i < n; i++)
            {
                StepRandom.Permutation(seed, 0, i, order);
                double[] projected = (double[])@case.Rows[i].Clone();
                foreach (int j in order.Where(j => j != i))
                {
                    double dot = ScaledJacobians.Dot(projected, @case.Rows[j]);
                    if (dot < 0.0)
                    {
                        double norm2 = ScaledJacobians.Dot(@case.Rows[j], @case.Rows[j]);
                        for (int k = 0; k < projected.Length; k++)
                        {
                            projected[k] -= dot / norm2 * @case.Rows[j][k];
                        }
                    }
                }

                for (int k = 0; k < expected.Length; k++)
                {
                    expected[k] += projected[k];
                }
            }

            var d = @case.Combine(w);
            double size = Enumerable.Range(0, n).Sum(@case.Norm);
            double error = ScaledJacobians.Distance(d, expected);
            failures.Check(error <= Tolerance * size, @case, $"‖d − d_explicit‖ = {error:R}, Σ‖gᵢ‖ = {size:R}");
            for (int j = 0; j < n; j++)
            {
                // Each objective's own share: gⱼ·d to tol·‖gⱼ‖Σ‖gᵢ‖, so a small objective is not lost in the sum.
                double gap = Math.Abs(ScaledJacobians.Dot(@case.Rows[j], d) - ScaledJacobians.Dot(@case.Rows[j], expected));
                failures.Check(gap <= Tolerance * @case.Norm(j) * size, @case, $"g{j}·d off by {gap:R}");
            }
        }

        failures.AssertNone();
    }

    /// <summary>gⱼ·d ≥ −tol‖gⱼ‖‖d‖ for every j (up to the rounding floor).</summary>
    private static void CheckNonConflicting(Failures failures, ScaledJacobians.Case @case, double[] w)
    {
        var d = @case.Combine(w);
        double norm = ScaledJacobians.Norm(d);
        double spread = @case.Spread(w);
        for (int j = 0; j < @case.Count; j++)
        {
            double dot = ScaledJacobians.Dot(@case.Rows[j], d);
            double bound = -@case.Norm(j) * ((Tolerance * norm) + (Floor * spread));
            failures.Check(dot >= bound, @case, $"g{j}·d = {dot:R} (cos {dot / (@case.Norm(j) * norm):G3}) conflicts");
        }
    }

    /// <summary>Jᵀv equals the brute-force projection of y onto the dual cone, to tol·‖y‖ (up to the rounding floor).</summary>
    private static void CheckProjection(Failures failures, ScaledJacobians.Case @case, double[] y, double[] v, string what)
    {
        var x = @case.Combine(v);
        var reference = ScaledJacobians.ProjectOntoDualCone(@case, y);
        double error = ScaledJacobians.Distance(x, reference);
        double allowed = (1e-8 * ScaledJacobians.Norm(y)) + (Floor * @case.Spread(v));
        failures.Check(error <= allowed, @case, $"{what}: ‖Jᵀv − P(y)‖ = {error:R}, ‖P(y)‖ = {ScaledJacobians.Norm(reference):R}, ‖y‖ = {ScaledJacobians.Norm(y):R}");
    }

    /// <summary>Collects failed checks, one count per case, and reports them all at once.</summary>
    private sealed class Failures
    {
        private readonly List<string> messages = [];
        private readonly HashSet<string> cases = [];
        private readonly HashSet<string> seen = [];

        public void Check(bool condition, ScaledJacobians.Case @case, string message)
        {
            seen.Add(@case.Label);
            if (!condition)
            {
                cases.Add(@case.Label);
                if (messages.Count < 12)
                {
                    messages.Add($"{@case.Label}: {message}");
                }
            }
        }

        public void AssertNone() =>
            Assert.True(cases.Count == 0, $"{cases.Count} of {seen.Count} cases fail:\n{string.Join("\n", messages)}");
    }
}
