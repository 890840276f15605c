package dev.pipeplan.simulator.compare;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.cost.CostSources;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A plan run for real: the measured timeline of every measured iteration (warm-up iterations
 * excluded), the one chosen to represent the run, the prediction it is compared with, and where and
 * how it ran.
 *
 * @param modelName the model that ran
 * @param scheduleName the schedule kind ("1f1b", "zb-h1", ...)
 * @param pipelineDevices p, the number of pipeline workers
 * @param virtualStages v, stages per worker
 * @param microBatchCount m, micro-batches per iteration
 * @param microBatchSize b, samples per micro-batch
 * @param partition layers per global stage, as "3,3,2,2"
 * @param predicted the simulator's timeline for the plan (source {@link Timeline#PREDICTED})
 * @param iterations the measured timelines, one per measured iteration, times from that iteration's
 *     start
 * @param representativeIteration index into {@code iterations} of the iteration the comparison uses
 *     (the one with the median iteration time)
 * @param losses the training loss of each measured iteration, same order as {@code iterations}
 * @param warmupIterations iterations run before measuring and not recorded
 * @param backend the executor backend ("cpu")
 * @param machine a description of the machine (processor, cores, JVM)
 * @param threadSettings the native thread settings the workers ran with ("OMP_NUM_THREADS=1, 1
 *     thread per worker")
 * @param seed the root seed of weights and synthetic data
 * @param actionCpuNanos per measured iteration, the thread CPU time of each action in the order of
 *     that iteration's timeline actions; empty when not recorded (an imported trace, an older run
 *     file)
 * @param noise how busy the machine was while the measured iterations ran ({@link
 *     RunNoise#unknown()} for an imported trace or a run file written before it was recorded)
 * @param sequenceLength the tokens per sample the run trained on (the plan's); 0 when not recorded
 *     (an older run file)
 */
public record MeasuredRun(
    String modelName,
    String scheduleName,
    int pipelineDevices,
    int virtualStages,
    int microBatchCount,
    int microBatchSize,
    String partition,
    Timeline predicted,
    List<Timeline> iterations,
    int representativeIteration,
    List<Double> losses,
    int warmupIterations,
    String backend,
    String machine,
    String threadSettings,
    long seed,
    List<List<Long>> actionCpuNanos,
    RunNoise noise,
    Provenance provenance,
    int sequenceLength) {

  public MeasuredRun {
    provenance = provenance == null ? Provenance.unrecorded() : provenance;
    Checks.nonBlank("run modelName", modelName);
    Checks.nonBlank("run scheduleName", scheduleName);
    Checks.positive("run pipelineDevices", pipelineDevices);
    Checks.positive("run virtualStages", virtualStages);
    Checks.positive("run microBatchCount", microBatchCount);
    Checks.positive("run microBatchSize", microBatchSize);
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(predicted, "predicted");
    iterations = List.copyOf(Objects.requireNonNull(iterations, "iterations"));
    losses = List.copyOf(Objects.requireNonNull(losses, "losses"));
    if (iterations.isEmpty()) {
      throw new BadInputException("run has no measured iterations; measure at least 1");
    }
    if (representativeIteration < 0 || representativeIteration >= iterations.size()) {
      throw new BadInputException(
          "run representativeIteration ("
              + representativeIteration
              + ") is outside 0.."
              + (iterations.size() - 1));
    }
    if (losses.size() != iterations.size()) {
      throw new BadInputException(
          "run has "
              + losses.size()
              + " losses for "
              + iterations.size()
              + " iterations; they must match");
    }
    requireMatches("predicted timeline", predicted, scheduleName, pipelineDevices);
    int stages = pipelineDevices * virtualStages;
    String[] stageLayers = partition.isBlank() ? new String[0] : partition.split(",", -1);
    if (stageLayers.length > 0 && stageLayers.length != stages) {
      throw new BadInputException(
          "run partition "
              + partition
              + " has "
              + stageLayers.length
              + " stages but pipelineDevices x virtualStages is "
              + pipelineDevices
              + " x "
              + virtualStages
              + " = "
              + stages
              + "; they must match");
    }
    for (int i = 0; i < iterations.size(); i++) {
      requireMatches("iteration " + (i + 1), iterations.get(i), scheduleName, pipelineDevices);
      requireOwnActions("iteration " + (i + 1), iterations.get(i), stages, microBatchCount);
    }
    Checks.nonNegative("run warmupIterations", warmupIterations);
    Checks.nonNegative("run sequenceLength", sequenceLength);
    Checks.nonBlank("run backend", backend);
    Objects.requireNonNull(machine, "machine");
    Objects.requireNonNull(threadSettings, "threadSettings");
    Objects.requireNonNull(noise, "noise");
    int attempted = iterations.size() + noise.discardedIterations();
    if (!noise.iterationSlowdowns().isEmpty() && noise.iterationSlowdowns().size() != attempted) {
      throw new BadInputException(
          "run noise iterationSlowdowns has "
              + noise.iterationSlowdowns().size()
              + " entries, but the run kept "
              + iterations.size()
              + " iterations and replaced "
              + noise.discardedIterations()
              + " (noise discardedIterations): one entry per attempted iteration, "
              + attempted
              + " in all");
    }
    List<List<Long>> cpu = new java.util.ArrayList<>();
    for (List<Long> perIteration : Objects.requireNonNull(actionCpuNanos, "actionCpuNanos")) {
      cpu.add(List.copyOf(perIteration));
    }
    actionCpuNanos = List.copyOf(cpu);
    if (!actionCpuNanos.isEmpty()) {
      if (actionCpuNanos.size() != iterations.size()) {
        throw new BadInputException(
            "run has CPU times for "
                + actionCpuNanos.size()
                + " iterations but "
                + iterations.size()
                + " iterations; they must match");
      }
      for (int i = 0; i < iterations.size(); i++) {
        if (actionCpuNanos.get(i).size() != iterations.get(i).actions().size()) {
          throw new BadInputException(
              "run iteration "
                  + (i + 1)
                  + " has "
                  + actionCpuNanos.get(i).size()
                  + " action CPU times for "
                  + iterations.get(i).actions().size()
                  + " actions; they must match");
        }
      }
    }
  }

  /**
   * A run's timelines are of its schedule and its devices: a hand-edited header that contradicts
   * them would be fitted or compared as another run.
   */
  private static void requireMatches(
      String what, Timeline timeline, String scheduleName, int pipelineDevices) {
    // an imported trace's timelines name their source ("pytorch"), not a kind: only kinds compare
    boolean bothKinds =
        ScheduleKind.byId(timeline.scheduleName()).isPresent()
            && ScheduleKind.byId(scheduleName).isPresent();
    if (bothKinds && !timeline.scheduleName().equals(scheduleName)) {
      throw new BadInputException(
          "run "
              + what
              + " is of schedule '"
              + timeline.scheduleName()
              + "' but the run's scheduleName is '"
              + scheduleName
              + "'; they must match");
    }
    if (timeline.deviceCount() != pipelineDevices) {
      throw new BadInputException(
          "run "
              + what
              + " has "
              + timeline.deviceCount()
              + " devices but the run's pipelineDevices is "
              + pipelineDevices
              + "; they must match");
    }
    // each action's device is within the timeline's devices: Timeline checks that
  }

  /**
   * A measured iteration runs each action of the run's schedule at most once: an action on a stage
   * or micro-batch the run does not have, or one timed twice, would be fitted or compared as work
   * that did not run.
   */
  private static void requireOwnActions(
      String what, Timeline timeline, int stages, int microBatchCount) {
    java.util.Set<dev.pipeplan.simulator.schedule.Action> seen = new java.util.HashSet<>();
    for (dev.pipeplan.simulator.timeline.TimedAction a : timeline.actions()) {
      if (a.action().stage() >= stages) {
        throw new BadInputException(
            "run "
                + what
                + ": action "
                + a.action()
                + " is on stage "
                + a.action().stage()
                + ", outside the run's stages 0.."
                + (stages - 1));
      }
      if (a.action().microBatch() >= microBatchCount) {
        throw new BadInputException(
            "run "
                + what
                + ": action "
                + a.action()
                + " is of micro-batch "
                + a.action().microBatch()
                + ", outside the run's micro-batches 0.."
                + (microBatchCount - 1));
      }
      if (!seen.add(a.action())) {
        throw new BadInputException(
            "run " + what + ": action " + a.action() + " is timed twice; each action runs once");
      }
    }
  }

  /** The same run, made from a plan with this provenance. */
  public MeasuredRun withProvenance(Provenance planProvenance) {
    return copy(noise, planProvenance, sequenceLength);
  }

  /** The same run, recorded as trained at {@code tokens} per sample. */
  public MeasuredRun withSequenceLength(int tokens) {
    return copy(noise, provenance, tokens);
  }

  /** The same run, measured with this noise. */
  public MeasuredRun withNoise(RunNoise measuredNoise) {
    return copy(measuredNoise, provenance, sequenceLength);
  }

  private MeasuredRun copy(RunNoise newNoise, Provenance newProvenance, int tokens) {
    return new MeasuredRun(
        modelName,
        scheduleName,
        pipelineDevices,
        virtualStages,
        microBatchCount,
        microBatchSize,
        partition,
        predicted,
        iterations,
        representativeIteration,
        losses,
        warmupIterations,
        backend,
        machine,
        threadSettings,
        seed,
        actionCpuNanos,
        newNoise,
        newProvenance,
        tokens);
  }

  /**
   * The predicted timeline against the representative iteration's actions timed by their worker
   * thread's CPU time (start as measured, duration the CPU time): the per-action error with the
   * time other processes held the core left out. Empty when the CPU times were not recorded.
   */
  public java.util.Optional<Comparison> cpuComparison() {
    if (actionCpuNanos.isEmpty()) {
      return java.util.Optional.empty();
    }
    List<Timeline> cpuTimed = new ArrayList<>();
    for (int k = 0; k < iterations.size(); k++) {
      Timeline wall = iterations.get(k);
      List<Long> cpu = actionCpuNanos.get(k);
      List<dev.pipeplan.simulator.timeline.TimedAction> actions = new ArrayList<>();
      for (int i = 0; i < wall.actions().size(); i++) {
        dev.pipeplan.simulator.timeline.TimedAction a = wall.actions().get(i);
        actions.add(
            new dev.pipeplan.simulator.timeline.TimedAction(
                a.device(), a.action(), a.startNanos(), a.startNanos() + cpu.get(i)));
      }
      cpuTimed.add(
          new Timeline(
              Timeline.MEASURED,
              wall.scheduleName(),
              wall.deviceCount(),
              actions,
              List.of(),
              List.of()));
    }
    return java.util.Optional.of(
        Comparison.of(predicted, cpuTimed.get(representativeIteration), cpuTimed));
  }

  /** The bootstrap interval of the iteration error; empty with fewer than 5 measured iterations. */
  public java.util.Optional<ErrorInterval> errorInterval() {
    return ErrorInterval.of(this);
  }

  /** The measured timeline the comparison uses. */
  public Timeline representative() {
    return iterations.get(representativeIteration);
  }

  /**
   * The representative iteration as people count it: measured iterations numbered from 1, warm-up
   * not counted, as {@code run} prints them ("iteration 3/5") and every report names them.
   */
  public int representativeNumber() {
    return representativeIteration + 1;
  }

  /**
   * The predicted timeline against the measured iterations: the iteration time and each action's
   * start from the representative one, each action's duration the median over every measured
   * iteration ({@link Comparison#of(Timeline, Timeline, List)}).
   */
  public Comparison comparison() {
    return Comparison.of(predicted, representative(), iterations);
  }

  /**
   * Why the comparison does not measure the cost model, one sentence each: a busy machine ({@link
   * RunNoise#warning()}), a prediction for another device ({@link #otherDevicePrediction}); empty
   * when neither.
   */
  public List<String> comparisonWarnings() {
    List<String> warnings = new ArrayList<>();
    if (noise.busy()) {
      warnings.add(noise.warning());
    }
    otherDevicePrediction(backend, modelName, pipelineDevices, provenance).ifPresent(warnings::add);
    return List.copyOf(warnings);
  }

  /**
   * Whether the comparison's error is not the model's: the plan was priced for other devices, or
   * the machine's noise excuses it ({@link RunNoise#excusesComparison}).
   */
  public boolean comparisonExcused() {
    return predictedForAnotherDevice() || (noise.busy() && noise.excusesComparison());
  }

  /** Whether the plan's prediction was made for other devices than the run's (see below). */
  public boolean predictedForAnotherDevice() {
    return otherDevicePrediction(backend, modelName, pipelineDevices, provenance).isPresent();
  }

  /**
   * The warning for a run on the CPU backend of a plan priced by the analytic roofline of other
   * devices than the {@code cpu} device (an H100's, per its provenance {@code costSource}): the CPU
   * takes hundreds of times as long, so the error measures the difference between the devices, not
   * the model. Empty for any other backend, a plan priced for the {@code cpu} device, from a
   * profile or from the model's measured times, and a provenance not recorded.
   *
   * @param backend the backend that runs (or ran) the plan
   * @param model the model's name, for the hint
   * @param pipelineDevices the plan's pp, for the hint
   * @param planProvenance the plan's provenance
   */
  public static Optional<String> otherDevicePrediction(
      String backend, String model, int pipelineDevices, Provenance planProvenance) {
    if (!CPU.equals(backend)) {
      return Optional.empty();
    }
    List<String> others = new ArrayList<>();
    for (String device : CostSources.analyticDevices(planProvenance.costSource())) {
      if (!device.equals(CPU)) {
        others.add(device);
      }
    }
    if (others.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "the prediction is for "
            + String.join(", ", others)
            + " (the plan's analytic costs for cluster "
            + planProvenance.cluster()
            + "), not this machine's CPU: the error is the difference between the devices, not a"
            + " model error. Maybe plan with a CPU profile: pipeplan profile --model "
            + model
            + " -o profile.json, then plan again with --cluster cpu:1x"
            + pipelineDevices
            + " --pp "
            + pipelineDevices
            + " --profile profile.json");
  }

  /** The CPU backend's name, and the name of the device that prices a CPU analytically. */
  private static final String CPU = "cpu";

  /**
   * The index of the iteration with the median iteration time (the lower median for an even count,
   * the earlier iteration on ties), so one slow or lucky iteration does not represent the run.
   */
  public static int medianIteration(List<Timeline> iterations) {
    if (iterations.isEmpty()) {
      throw new BadInputException("no iterations to choose from");
    }
    Integer[] order = new Integer[iterations.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    java.util.Arrays.sort(
        order,
        (x, y) -> {
          int c =
              Long.compare(iterations.get(x).makespanNanos(), iterations.get(y).makespanNanos());
          return c != 0 ? c : Integer.compare(x, y);
        });
    return order[(order.length - 1) / 2];
  }
}
