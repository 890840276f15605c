package dev.pipeplan.benchmarks;

import dev.pipeplan.models.LinkSpec;
import dev.pipeplan.simulator.cost.ClusterLinkModel;
import dev.pipeplan.simulator.cost.StageCost;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.CompiledSchedule;
import dev.pipeplan.simulator.engine.SimulationResult;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import dev.pipeplan.simulator.schedule.ScheduleRequest;
import dev.pipeplan.simulator.schedule.generate.ScheduleGenerators;
import dev.pipeplan.simulator.timeline.Metrics;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Simulated actions per second, one thread. The {@code actions} counter JMH prints beside each
 * result is the rate of simulated actions (one F, I, W or B each); the primary score is simulations
 * per second.
 *
 * <ul>
 *   <li>{@code metrics}: the planner's path, a schedule compiled once and timed under fresh costs;
 *   <li>{@code compileAndMetrics}: the same from a {@link Schedule} each time (compiling included);
 *   <li>{@code simulate}: the full timeline with its TimedAction, Transfer and MemoryPoint objects.
 * </ul>
 *
 * <p>Scenarios: 1F1B at p=64, m=1024 (131,072 actions); ZB-H1 at p=32, m=256 (24,576 actions); and
 * 1F1B at p=16 with m = 64, 256, 1024, 4096 (2,048 to 131,072 actions) to show that the cost per
 * action stays flat.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SimulatorBenchmark {
  @Param({
    "1f1b:64:1024",
    "zb-h1:32:256",
    "1f1b:16:64",
    "1f1b:16:256",
    "1f1b:16:1024",
    "1f1b:16:4096"
  })
  public String scenario;

  private Schedule schedule;
  private CompiledSchedule compiled;
  private StageCosts costs;

  /** Counts simulated actions, so JMH reports their rate. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Actions {
    public long actions;

    @Setup(Level.Iteration)
    public void reset() {
      actions = 0;
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    String[] parts = scenario.split(":");
    ScheduleKind kind = ScheduleKind.parse(parts[0]);
    int p = Integer.parseInt(parts[1]);
    int m = Integer.parseInt(parts[2]);
    schedule =
        ScheduleGenerators.generate(ScheduleRequest.of(kind, p, m, kind.defaultVirtualStages()));
    compiled = CompiledSchedule.of(schedule);
    costs = costs(schedule.stageCount(), p);
  }

  /**
   * Slightly unequal stages and real links, so that the walk parks and wakes devices as in a
   * planner's search.
   */
  static StageCosts costs(int stageCount, int deviceCount) {
    List<StageCost> stages = new ArrayList<>(stageCount);
    for (int s = 0; s < stageCount; s++) {
      long f = 1_000_000L + 13_000L * (s % 7);
      stages.add(new StageCost(f, f, f - 200_000L, 8L << 20, 64L << 20, 40L << 20, 1L << 30));
    }
    List<Integer> nodes = new ArrayList<>(deviceCount);
    for (int d = 0; d < deviceCount; d++) {
      nodes.add(d / 8);
    }
    return new StageCosts(
        stages,
        new ClusterLinkModel(
            nodes, new LinkSpec("nvlink", 360e9, 3_000), new LinkSpec("ib", 40e9, 8_000)));
  }

  @Benchmark
  public Metrics metrics(Actions counter) {
    counter.actions += compiled.actionCount();
    return Simulator.metrics(compiled, costs);
  }

  @Benchmark
  public Metrics compileAndMetrics(Actions counter) {
    counter.actions += compiled.actionCount();
    return Simulator.metrics(schedule, costs);
  }

  @Benchmark
  public SimulationResult simulate(Actions counter) {
    counter.actions += compiled.actionCount();
    return Simulator.simulate(compiled, costs);
  }
}
