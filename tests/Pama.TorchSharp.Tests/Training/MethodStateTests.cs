using Pama.TorchSharp.Models;
using Pama.TorchSharp.Training;
using Pama.TorchSharp.Training.Checkpoints;
using Pama.TorchSharp.Training.Methods;
using Pama.Weightings;
using Xunit;

namespace Pama.TorchSharp.Tests.Training;

/// <summary>A stateful weighting observes each step's rewards once, and its state is checkpointed with the trainer.</summary>
public sealed class MethodStateTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("pama-method-state-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Test weighting: state = [Σ_steps mean reward of each objective, steps]; all weight to the lowest running mean.</summary>
    private sealed class RunningMeanReward(int n) : IStatefulWeighting
    {
        public double[] State { get; } = new double[n + 1];

        public int Observations { get; private set; }

        public WeightingInputs Reads => WeightingInputs.Rewards;

        public int StateLength => State.Length;

        public void Observe(WeightingInput input)
        {
            Observations++;
            for (int i = 0; i < n; i++) State[i] += input.Rewards.Span[i];
            State[n]++;
        }

        public double ComputeWeights(WeightingInput input, Span<double> weights)
        {
            int lowest = 0;
            for (int i = 1; i < n; i++)
                if (State[i] < State[lowest]) lowest = i;
            weights.Clear();
            weights[lowest] = 1.0;
            return double.NaN;
        }

        public void SaveState(Span<double> state) => State.CopyTo(state);

        public void LoadState(ReadOnlySpan<double> state)
        {
            if (state.Length != State.Length) throw new ArgumentException($"{state.Length} numbers for {State.Length}.");
            state.CopyTo(State);
        }
    }

    private sealed class RunningMeanMethod : IMultiObjectiveMethod
    {
        public RunningMeanReward? Weighting { get; private set; }

        public string Name => "running-mean";

        public IWeighting CreateWeighting(int objectiveCount) => Weighting = new RunningMeanReward(objectiveCount);
    }

    private static PamaTrainerOptions Options(IMultiObjectiveMethod method) => TinyModels.Options(method) with { MiniBatches = 2 };

    [Fact]
    public void TheWeightingObservesTheWholeBatchsMeanRewardsOncePerStep()
    {
        var method = new RunningMeanMethod();
        var (trainer, _) = TinyModels.Trainer(Options(method), TinyModels.VowelsAndLength());
        using var __ = trainer;

        StepMetrics first = trainer.Step(TinyModels.Prompts), second = trainer.Step(TinyModels.Prompts);

        RunningMeanReward weighting = method.Weighting!;
        Assert.Equal(2, weighting.Observations);   // once per step, not once per update (4 updates per step)
        for (int i = 0; i < 2; i++) Assert.Equal(first.MeanRewards[i] + second.MeanRewards[i], weighting.State[i], 12);
        Assert.Equal(2.0, weighting.State[2]);
        int lowest = weighting.State[0] <= weighting.State[1] ? 0 : 1;
        Assert.Equal(1.0, second.Weights[lowest]);
    }

    [Fact]
    public void TheStateIsSavedAndTheResumedRunEqualsNeverStopping()
    {
        string path = Path.Combine(_directory, "trainer.ckpt");
        var method = new RunningMeanMethod();
        var (original, policy) = TinyModels.Trainer(Options(method), TinyModels.VowelsAndLength());
        using var _ = original;
        original.Step(TinyModels.Prompts);
        original.Save(path);
        double[] saved = [.. method.Weighting!.State];
        original.Step(TinyModels.Prompts);

        var resumedMethod = new RunningMeanMethod();
        var (resumed, resumedPolicy) = TinyModels.Trainer(Options(resumedMethod), TinyModels.VowelsAndLength());
        using var __ = resumed;
        resumed.Load(path);
        Assert.Equal(saved, resumedMethod.Weighting!.State);
        resumed.Step(TinyModels.Prompts);

        Assert.Equal(method.Weighting.State, resumedMethod.Weighting.State);
        Assert.True(TinyModels.BitwiseEqual(TinyModels.Snapshot(policy), TinyModels.Snapshot(resumedPolicy)));
    }

    [Fact]
    public void ARefusedStepLeavesTheMethodsStateAsItWas()
    {
        // Finite rewards near the top of float64: the weighting observes their (finite) means, then the squared value losses
        // overflow and the step is refused; the observation must be undone with it.
        var method = new RunningMeanMethod();
        var (trainer, _) = TinyModels.Trainer(Options(method) with { ValueHeadInitialization = ValueHeadInitialization.Zero },
            Pama.TorchSharp.Training.Rewards.RewardObjective.FromText("huge", (p, r) => 1e160 * (1 + r.Length)),
            Pama.TorchSharp.Training.Rewards.RewardObjective.FromText("small", (p, r) => r.Length));
        using var _ = trainer;

        var error = Assert.Throws<NonFiniteTrainingException>(() => trainer.Step(TinyModels.Prompts));

        Assert.True(method.Weighting!.Observations == 1, error.Message);
        Assert.Equal(new double[3], method.Weighting.State);
        Assert.Equal(0, trainer.StepCount);
    }

    [Fact]
    public void ACheckpointWithoutMethodStateLoadsForStatelessMethodsOnly()
    {
        // A checkpoint as written before the method-state section existed: the same sections, that one left out.
        string current = Path.Combine(_directory, "current.ckpt"), old = Path.Combine(_directory, "old.ckpt");
        var (writer, _) = TinyModels.Trainer(Options(new WeightingMethod("running-mean", n => new RunningMeanReward(n))), TinyModels.VowelsAndLength());
        using (writer)
        {
            writer.Step(TinyModels.Prompts);
            writer.Save(current);
        }
        var sections = new SectionWriter();
        using (SectionReader file = SectionReader.Open(current))
        {
            Assert.Contains("method-state", file.SectionNames);
            foreach (string name in file.SectionNames.Where(s => s != "method-state"))
            {
                byte[] bytes = file.Read(name, r => r.ReadBytes((int)file.LengthOf(name)));
                sections.Add(name, w => w.Write(bytes));
            }
        }
        sections.Save(old);

        var (stateful, _) = TinyModels.Trainer(Options(new WeightingMethod("running-mean", n => new RunningMeanReward(n))), TinyModels.VowelsAndLength());
        using (stateful)
        {
            var error = Assert.Throws<InvalidDataException>(() => stateful.Load(old));
            Assert.Contains(old, error.Message);
            Assert.Equal(0, stateful.StepCount);
        }

        // A stateless method of the same name loads it (the method is identified by name; its weighting keeps no state).
        var (stateless, _) = TinyModels.Trainer(Options(new WeightingMethod("running-mean", _ => new PreferenceWeighting(1, 1))), TinyModels.VowelsAndLength());
        using (stateless)
        {
            stateless.Load(old);
            Assert.Equal(1, stateless.StepCount);
        }
    }
}
