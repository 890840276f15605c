package dev.pipeplan.executor.core.profile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.models.TrainingSpec;
import dev.pipeplan.models.cluster.Clusters;
import dev.pipeplan.models.io.ModelLoader;
import dev.pipeplan.planner.Plan;
import dev.pipeplan.planner.PlanPrediction;
import dev.pipeplan.planner.search.PlanBuilder;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunCalibrationTest {
  private static final ModelSpec MODEL = ModelLoader.load("gpt-tiny");

  /** Each kind its own times, so that the stages' sums tell the kinds apart. */
  private static Profile profile() {
    List<Profile.LayerProfile> layers = new ArrayList<>();
    for (int i = 0; i < MODEL.layerCount(); i++) {
      LayerKind kind = MODEL.layer(i).kind();
      double scale =
          switch (kind) {
            case EMBEDDING -> 0.2;
            case LM_HEAD -> 3.0;
            default -> 1.0;
          };
      layers.add(
          new Profile.LayerProfile(
              MODEL.layer(i).name(),
              List.of(),
              new Profile.LinearFit(100_000 * scale, 400_000 * scale),
              new Profile.LinearFit(80_000 * scale, 500_000 * scale),
              new Profile.LinearFit(50_000 * scale, 200_000 * scale)));
    }
    return new Profile(
        MODEL.name(),
        "cpu",
        "test",
        layers,
        20_000,
        1e12,
        Profile.Repeatability.unknown(),
        List.of(),
        0);
  }

  private static Plan plan(Profile profile, ScheduleKind kind) {
    TrainingSpec training = TrainingSpec.of(16, MODEL.sequenceLength(), MODEL.dtype());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(2)
            .withTp(1)
            .withProfile(profile)
            .withMicroBatches(4)
            .withKinds(List.of(kind));
    return PlanBuilder.fromSearch(
        Planner.search(
            MODEL, training, Clusters.load("cpu:1x2"), options, ProgressListener.none()));
  }

  /**
   * A run of the plan whose actions took {@code factors} times their predicted duration; every
   * {@code outlierEvery}-th action (0: none) took four times more again.
   */
  private static MeasuredRun run(Plan plan, Map<ActionType, Double> factors, int outlierEvery) {
    Timeline predicted = PlanPrediction.predict(plan).timeline();
    List<Timeline> iterations = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    int n = 0;
    for (int it = 0; it < 5; it++) {
      List<TimedAction> actions = new ArrayList<>();
      for (TimedAction a : predicted.actions()) {
        double f = factors.get(a.action().type());
        if (outlierEvery > 0 && n++ % outlierEvery == 0) {
          f *= 4;
        }
        long duration = Math.round(a.durationNanos() * f);
        actions.add(
            new TimedAction(a.device(), a.action(), a.startNanos(), a.startNanos() + duration));
      }
      iterations.add(
          new Timeline(
              Timeline.MEASURED, predicted.scheduleName(), 2, actions, List.of(), List.of()));
      losses.add(1.0);
    }
    return new MeasuredRun(
        MODEL.name(),
        plan.scheduleKind().id(),
        2,
        plan.virtualStages(),
        plan.microBatchCount(),
        plan.microBatchSize(),
        plan.partition().toString(),
        predicted,
        iterations,
        MeasuredRun.medianIteration(iterations),
        losses,
        0,
        "cpu",
        "test",
        "test",
        1L,
        List.of(),
        RunNoise.unknown(),
        Provenance.unrecorded(),
        0);
  }

  /**
   * The run with its actions' CPU times at {@code cpuShare} of their wall times and its workers'
   * wall over CPU time at {@code 1 / cpuShare}: busy when that is over {@link
   * RunNoise#BUSY_MARGIN}.
   */
  private static MeasuredRun withCpuTimes(MeasuredRun run, double cpuShare) {
    List<List<Long>> cpu = new ArrayList<>();
    long wall = 0;
    long cpuSum = 0;
    for (Timeline iteration : run.iterations()) {
      List<Long> times = new ArrayList<>();
      for (TimedAction a : iteration.actions()) {
        long c = Math.round(a.durationNanos() * cpuShare);
        times.add(c);
        wall += a.durationNanos();
        cpuSum += c;
      }
      cpu.add(times);
    }
    RunNoise noise =
        new RunNoise(List.of(new RunNoise.WorkerTime(0, wall, cpuSum)), 2, "", "", 0.0, 0.0, true);
    return rebuilt(run, run.iterations(), cpu, noise);
  }

  /**
   * {@code base} with other iterations (the representative their median, each loss 1), actions' CPU
   * times and noise.
   */
  private static MeasuredRun rebuilt(
      MeasuredRun base, List<Timeline> iterations, List<List<Long>> cpu, RunNoise noise) {
    return new MeasuredRun(
        base.modelName(),
        base.scheduleName(),
        base.pipelineDevices(),
        base.virtualStages(),
        base.microBatchCount(),
        base.microBatchSize(),
        base.partition(),
        base.predicted(),
        iterations,
        MeasuredRun.medianIteration(iterations),
        java.util.Collections.nCopies(iterations.size(), 1.0),
        base.warmupIterations(),
        base.backend(),
        base.machine(),
        base.threadSettings(),
        base.seed(),
        cpu,
        noise,
        base.provenance(),
        base.sequenceLength());
  }

  @Test
  void byDefaultAQuietRunIsFittedOnWallTimeAndABusyOneOnCpuTime() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ZB_H1);
    Map<ActionType, Double> slower =
        Map.of(ActionType.F, 1.5, ActionType.I, 1.5, ActionType.W, 1.5);
    // quiet: CPU time 96% of wall (a worker waited 4%): the wall time is what a run shows
    MeasuredRun quiet = withCpuTimes(run(plan, slower, 0), 0.96);
    assertThat(quiet.noise().busy()).isFalse();
    RunCalibration.Result r = RunCalibration.fit(MODEL, profile, List.of(quiet), "quiet.json");
    assertThat(r.basis()).isEqualTo(RunCalibration.TimeBasis.QUIET_WALL);
    assertThat(r.busyRuns()).isZero();
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isCloseTo(1.5, within(0.01));
    assertThat(r.lines().get(0)).contains("(wall time: every run was quiet)");
    RunCalibration.Result onCpu =
        RunCalibration.fit(
            MODEL, profile, List.of(quiet), "quiet.json", RunCalibration.TimeBasis.CPU);
    assertThat(factor(onCpu, LayerKind.TRANSFORMER_BLOCK, ActionType.F))
        .isCloseTo(1.5 * 0.96, within(0.01));
    // busy: CPU time half the wall time: the CPU time is what the actions cost
    MeasuredRun busy =
        withCpuTimes(
            run(plan, Map.of(ActionType.F, 2.4, ActionType.I, 2.4, ActionType.W, 2.4), 0), 0.5);
    assertThat(busy.noise().busy()).isTrue();
    RunCalibration.Result both =
        RunCalibration.fit(MODEL, profile, List.of(quiet, busy), "quiet.json, busy.json");
    assertThat(both.busyRuns()).isEqualTo(1);
    // the quiet run's wall 1.5 and the busy run's CPU 1.2 together
    assertThat(factor(both, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isBetween(1.19, 1.51);
    assertThat(both.lines().get(0)).contains("thread CPU time in the 1 busy run)");
    RunCalibration.Result busyAlone =
        RunCalibration.fit(MODEL, profile, List.of(busy), "busy.json");
    assertThat(factor(busyAlone, LayerKind.TRANSFORMER_BLOCK, ActionType.F))
        .isCloseTo(1.2, within(0.01));
    assertThat(busyAlone.lines().get(0)).contains("(thread CPU time: every run was busy)");
  }

  private static double factor(RunCalibration.Result r, LayerKind kind, ActionType type) {
    return r.terms().stream()
        .filter(t -> t.kind() == kind && t.type() == type)
        .findFirst()
        .orElseThrow()
        .factor();
  }

  @Test
  void recoversTheFactorsByWhichARunDeviatesFromTheProfile() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ZB_H1);
    MeasuredRun run = run(plan, Map.of(ActionType.F, 1.5, ActionType.I, 0.8, ActionType.W, 1.1), 0);
    RunCalibration.Result r = RunCalibration.fit(MODEL, profile, List.of(run), "run.json");
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isCloseTo(1.5, within(0.01));
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.I)).isCloseTo(0.8, within(0.01));
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.W)).isCloseTo(1.1, within(0.01));
    // before: F predicted at 1/1.5 of the measurement, -33%
    assertThat(r.before().signedMedianByType().get(ActionType.F)).isCloseTo(-1 / 3.0, within(0.01));
    assertThat(r.after().medianAbs()).isLessThan(0.01);
    // the calibrated profile carries the factors and predicts the run
    Profile calibrated = r.calibrated();
    assertThat(calibrated.calibration())
        .anySatisfy(
            c -> {
              assertThat(c.layerKind()).isEqualTo("transformer_block");
              assertThat(c.action()).isEqualTo("F");
              assertThat(c.factor()).isCloseTo(1.5, within(0.01));
              assertThat(c.source()).isEqualTo("run.json");
            });
    Profile.LayerProfile block = calibrated.layers().get(1);
    Profile.LayerProfile original = profile.layers().get(1);
    assertThat(block.forward().perSampleNanos())
        .isCloseTo(1.5 * original.forward().perSampleNanos(), within(0.015 * 400_000));
    assertThat(block.backwardInput().fixedNanos())
        .isCloseTo(0.8 * original.backwardInput().fixedNanos(), within(0.01 * 80_000));
  }

  @Test
  void aFusedBackwardInformsBothTheInputAndTheWeightFactors() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ONE_F_ONE_B);
    MeasuredRun run = run(plan, Map.of(ActionType.F, 1.2, ActionType.B, 0.7), 0);
    RunCalibration.Result r = RunCalibration.fit(MODEL, profile, List.of(run), "run.json");
    assertThat(r.after().signedMedianByType().get(ActionType.B)).isCloseTo(0, within(0.01));
    assertThat(r.after().signedMedianByType().get(ActionType.F)).isCloseTo(0, within(0.01));
  }

  @Test
  void outliersDoNotMoveTheRobustFit() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ZB_H1);
    MeasuredRun run = run(plan, Map.of(ActionType.F, 1.5, ActionType.I, 0.8, ActionType.W, 1.1), 9);
    RunCalibration.Result r = RunCalibration.fit(MODEL, profile, List.of(run), "run.json");
    assertThat(r.downWeighted()).isPositive();
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isCloseTo(1.5, within(0.05));
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.I)).isCloseTo(0.8, within(0.05));
  }

  @Test
  void calibratingTwiceComposesTheCorrections() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ZB_H1);
    MeasuredRun run = run(plan, Map.of(ActionType.F, 1.5, ActionType.I, 1.0, ActionType.W, 1.0), 0);
    Profile once = RunCalibration.fit(MODEL, profile, List.of(run), "a.json").calibrated();
    // a second run, measured after the first calibration, 10% slower again in F
    MeasuredRun again =
        run(plan, Map.of(ActionType.F, 1.5 * 1.1, ActionType.I, 1.0, ActionType.W, 1.0), 0);
    Profile twice = RunCalibration.fit(MODEL, once, List.of(again), "b.json").calibrated();
    Profile.Correction f =
        twice.calibration().stream()
            .filter(c -> c.layerKind().equals("transformer_block") && c.action().equals("F"))
            .findFirst()
            .orElseThrow();
    assertThat(f.factor()).isCloseTo(1.65, within(0.02));
    assertThat(f.source()).isEqualTo("a.json; b.json");
  }

  @Test
  void refusesARunOfAnotherModelOrBackend() {
    Profile profile = profile();
    MeasuredRun run =
        run(
            plan(profile, ScheduleKind.ZB_H1),
            Map.of(ActionType.F, 1.0, ActionType.I, 1.0, ActionType.W, 1.0),
            0);
    ModelSpec other = ModelLoader.load("gpt-small-cpu");
    assertThatThrownBy(() -> RunCalibration.fit(other, profile, List.of(run), "run.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("gpt-tiny")
        .hasMessageContaining("gpt-small-cpu");
    Profile cuda =
        new Profile(
            MODEL.name(),
            "cuda",
            "test",
            profile.layers(),
            profile.handoffLatencyNanos(),
            profile.handoffBytesPerSecond(),
            Profile.Repeatability.unknown(),
            List.of(),
            0);
    assertThatThrownBy(() -> RunCalibration.fit(MODEL, cuda, List.of(run), "run.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'cuda'");
  }

  @Test
  void refusesARunAtAnotherSequenceLengthAndKeepsTheProfilesLength() {
    Profile profile = profile().withSequenceLength(64);
    MeasuredRun run =
        run(
            plan(profile(), ScheduleKind.ZB_H1),
            Map.of(ActionType.F, 1.0, ActionType.I, 1.0, ActionType.W, 1.0),
            0);
    assertThatThrownBy(
            () ->
                RunCalibration.fit(MODEL, profile, List.of(run.withSequenceLength(32)), "run.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the run trained at sequence length 32")
        .hasMessageContaining("the profile was measured at 64");
    // a run at the profile's length, or one that does not record its length, calibrates it
    assertThat(
            RunCalibration.fit(MODEL, profile, List.of(run.withSequenceLength(64)), "run.json")
                .calibrated()
                .sequenceLength())
        .isEqualTo(64);
    assertThat(RunCalibration.fit(MODEL, profile, List.of(run), "run.json").calibrated())
        .isNotNull();
  }

  /** The profile with another hand-off latency, everything else the same. */
  private static Profile withHandoff(Profile p, long latencyNanos) {
    return new Profile(
        p.modelName(),
        p.backend(),
        p.machine(),
        p.layers(),
        latencyNanos,
        p.handoffBytesPerSecond(),
        p.repeatability(),
        p.calibration(),
        p.sequenceLength());
  }

  /** A run predicted by {@code predicted} whose iterations ran as {@code ran} predicts them. */
  private static MeasuredRun ranAs(Plan predicted, Plan ran, int iterations) {
    Timeline as = PlanPrediction.predict(ran).timeline();
    Timeline measured =
        new Timeline(Timeline.MEASURED, as.scheduleName(), 2, as.actions(), List.of(), List.of());
    MeasuredRun base = run(predicted, Map.of(ActionType.F, 1.0, ActionType.B, 1.0), 0);
    List<Timeline> all = java.util.Collections.nCopies(iterations, measured);
    return rebuilt(base, all, List.of(), RunNoise.unknown());
  }

  @Test
  void theHandOffLatencyIsFittedFromTheWaitsOfTheRunsAndRecordedAsACorrection() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ONE_F_ONE_B);
    // the same plan run on a machine whose hand-offs take 300 us, not the profiled 20 us
    Plan slowHandoffs = plan(withHandoff(profile, 300_000), ScheduleKind.ONE_F_ONE_B);
    assertThat(slowHandoffs.partition()).isEqualTo(plan.partition());
    RunCalibration.Result r =
        RunCalibration.fit(MODEL, profile, List.of(ranAs(plan, slowHandoffs, 5)), "run.json");
    HandoffFit h = r.handoff();
    assertThat(h.waits()).isGreaterThanOrEqualTo(HandoffFit.MIN_WAITS);
    assertThat(h.fitted()).isTrue();
    assertThat(h.meanNanos()).isCloseTo(300_000L, within(1_000L));
    assertThat(r.calibrated().handoffLatencyNanos()).isEqualTo(h.meanNanos());
    assertThat(r.calibrated().calibration())
        .anySatisfy(
            c -> {
              assertThat(c.layerKind()).isEqualTo(RunCalibration.HANDOFF_CORRECTION);
              assertThat(c.action()).isEqualTo("latency");
              assertThat(c.factor()).isCloseTo(15.0, within(0.1));
              assertThat(c.actionCount()).isEqualTo(h.waits());
            });
    assertThat(r.lines())
        .anySatisfy(
            l -> assertThat(l).startsWith("hand-off: 20 us as profiled;").contains("300 us"));
    // the layer times were as profiled: their factors stay at 1
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isCloseTo(1.0, within(1e-3));
  }

  @Test
  void tooFewWaitsKeepTheProfiledHandOff() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ONE_F_ONE_B);
    Plan slowHandoffs = plan(withHandoff(profile, 300_000), ScheduleKind.ONE_F_ONE_B);
    RunCalibration.Result r =
        RunCalibration.fit(MODEL, profile, List.of(ranAs(plan, slowHandoffs, 1)), "run.json");
    assertThat(r.handoff().waits()).isPositive().isLessThan(HandoffFit.MIN_WAITS);
    assertThat(r.handoff().fitted()).isFalse();
    assertThat(r.calibrated().handoffLatencyNanos()).isEqualTo(20_000);
    assertThat(r.calibrated().calibration())
        .noneSatisfy(c -> assertThat(c.layerKind()).isEqualTo(RunCalibration.HANDOFF_CORRECTION));
    assertThat(r.lines()).anySatisfy(l -> assertThat(l).contains("20 us as profiled, kept"));
  }

  /**
   * The run with action {@code a} of iteration {@code i} taking {@code factor.apply(i, a)} times
   * its duration (starts kept).
   */
  private static MeasuredRun scaled(
      MeasuredRun run, java.util.function.BiFunction<Integer, Integer, Double> factor) {
    List<Timeline> iterations = new ArrayList<>();
    for (int i = 0; i < run.iterations().size(); i++) {
      List<TimedAction> actions = new ArrayList<>();
      List<TimedAction> given = run.iterations().get(i).actions();
      for (int a = 0; a < given.size(); a++) {
        TimedAction t = given.get(a);
        long d = Math.round(t.durationNanos() * factor.apply(i, a));
        actions.add(new TimedAction(t.device(), t.action(), t.startNanos(), t.startNanos() + d));
      }
      iterations.add(
          new Timeline(Timeline.MEASURED, run.scheduleName(), 2, actions, List.of(), List.of()));
    }
    return rebuilt(run, iterations, List.of(), run.noise());
  }

  @Test
  void theJitterBetweenIterationsIsMeasuredWithEachIterationsOwnSpeedTakenOut() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ONE_F_ONE_B);
    MeasuredRun steady = run(plan, Map.of(ActionType.F, 1.0, ActionType.B, 1.0), 0);
    // a whole iteration run 30% slower: the machine's speed, no jitter between actions
    MeasuredRun slowIteration = scaled(steady, (i, a) -> i == 2 ? 1.3 : 1.0);
    RunCalibration.Result none = RunCalibration.fit(MODEL, profile, List.of(slowIteration), "r");
    assertThat(none.jitter().actions()).isPositive();
    assertThat(none.jitter().cv()).isCloseTo(0, within(1e-6));
    // every action alternately 10% long and short from one iteration to the next, out of step
    // with its neighbours: a coefficient of variation of about 0.11 over five iterations
    MeasuredRun jittery = scaled(steady, (i, a) -> (i + a) % 2 == 0 ? 1.1 : 0.9);
    RunCalibration.Result some = RunCalibration.fit(MODEL, profile, List.of(jittery), "r");
    assertThat(some.jitter().cv()).isBetween(0.08, 0.14);
    assertThat(some.lines())
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("jitter: an action's time varied")
                    .contains("--jitter 0."));
  }

  @Test
  void theLevelMakesTheFittedTimesAddUpToTheActionsMedianTimes() {
    Profile profile = profile();
    Plan plan = plan(profile, ScheduleKind.ONE_F_ONE_B);
    MeasuredRun steady = run(plan, Map.of(ActionType.F, 1.0, ActionType.B, 1.0), 0);
    // every fifth action 50% long in every iteration: part of what the actions take, though the
    // robust weights discount it
    MeasuredRun tail = scaled(steady, (i, a) -> a % 5 == 0 ? 1.5 : 1.0);
    RunCalibration.Result r = RunCalibration.fit(MODEL, profile, List.of(tail), "tail.json");
    double measured = 0;
    double profiled = 0;
    for (TimedAction a : tail.iterations().get(0).actions()) {
      measured += a.durationNanos();
    }
    for (TimedAction a : steady.iterations().get(0).actions()) {
      profiled += a.durationNanos();
    }
    assertThat(r.level()).isGreaterThan(1.0);
    assertThat(factor(r, LayerKind.TRANSFORMER_BLOCK, ActionType.F))
        .isCloseTo(measured / profiled, within(0.03));
    assertThat(r.lines())
        .anySatisfy(l -> assertThat(l).startsWith("level: the robust factors times 1.1"));
    // one action four times its time in one iteration only: its median is its usual time
    MeasuredRun once = scaled(steady, (i, a) -> i == 1 && a == 3 ? 4.0 : 1.0);
    RunCalibration.Result e = RunCalibration.fit(MODEL, profile, List.of(once), "once.json");
    assertThat(e.level()).isCloseTo(1.0, within(1e-3));
    assertThat(factor(e, LayerKind.TRANSFORMER_BLOCK, ActionType.F)).isCloseTo(1.0, within(0.01));
  }
}
