package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.timeline.DeviceMetrics;
import dev.pipeplan.simulator.timeline.MemoryPoint;
import dev.pipeplan.simulator.timeline.Metrics;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.Transfer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * List scheduling on the action graph: an action starts when its device has finished the previous
 * action in its list and every data dependency has finished, plus the link's transfer time when the
 * dependency ran on another device. Each device's memory is its stages' static bytes plus the
 * running sum of its actions' deltas (F allocates at its start, I/W/B free at their end).
 *
 * <p>The schedule is compiled to int arrays ({@link CompiledSchedule}) and walked device by device:
 * a device runs its list until the next action waits on an unfinished action of another device,
 * then parks; finishing an action wakes the parked device that waits on it. Every action is handled
 * once, so the work is O(actions + stages), with no boxing or allocation per action. The result
 * does not depend on the walking order, only on the schedule and the costs, so it is deterministic.
 */
public final class Simulator {
  private static final int MAX_DEADLOCK_LINES = 8;

  private Simulator() {}

  /** Simulates one iteration and returns its timeline (actions, transfers, memory) and metrics. */
  public static SimulationResult simulate(Schedule schedule, StageCosts costs) {
    return simulate(CompiledSchedule.of(schedule), costs);
  }

  /** Like {@link #simulate(Schedule, StageCosts)} for a schedule compiled once. */
  public static SimulationResult simulate(CompiledSchedule schedule, StageCosts costs) {
    Objects.requireNonNull(schedule, "schedule");
    CostTables tables = CostTables.of(schedule, Objects.requireNonNull(costs, "costs"));
    long[] end = run(schedule, tables);
    Metrics metrics = metricsOf(schedule, tables, end);
    Timeline timeline =
        new Timeline(
            Timeline.PREDICTED,
            schedule.schedule().name(),
            schedule.deviceCount(),
            timedActions(schedule, tables, end),
            transfers(schedule, tables, end),
            memoryPoints(schedule, tables, end));
    return new SimulationResult(timeline, metrics);
  }

  /** Metrics only, without timeline objects: the planner's fast path. */
  public static Metrics metrics(Schedule schedule, StageCosts costs) {
    return metrics(CompiledSchedule.of(schedule), costs);
  }

  /** Metrics only, for a schedule compiled once and simulated under many costs. */
  public static Metrics metrics(CompiledSchedule schedule, StageCosts costs) {
    Objects.requireNonNull(schedule, "schedule");
    CostTables tables = CostTables.of(schedule, Objects.requireNonNull(costs, "costs"));
    return metricsOf(schedule, tables, run(schedule, tables));
  }

  /** Only the iteration time: the cheapest question the simulator answers. */
  public static long iterationNanos(CompiledSchedule schedule, StageCosts costs) {
    Objects.requireNonNull(schedule, "schedule");
    CostTables tables = CostTables.of(schedule, Objects.requireNonNull(costs, "costs"));
    return iterationOf(schedule, run(schedule, tables));
  }

  /**
   * The list-scheduling pass: each action's end time (in a per-thread array that the thread's next
   * simulation reuses; only its first {@code actionCount} entries count), or a BadInputException
   * naming the waiting actions.
   */
  static long[] run(CompiledSchedule c, CostTables t) {
    return run(c, t, null);
  }

  /**
   * Like {@link #run(CompiledSchedule, CostTables)}, with each device free only from {@code
   * releaseNanos[d]} on (null: every device from 0): the steady state of overlapping iterations
   * ({@link SteadyStateSimulator}) releases a device when its previous iteration and optimizer step
   * are done.
   */
  static long[] run(CompiledSchedule c, CostTables t, long[] releaseNanos) {
    return run(c, t, releaseNanos, null);
  }

  /**
   * Like {@link #run(CompiledSchedule, CostTables, long[])}, with action {@code k}'s duration
   * multiplied by {@code factor[k]} (null: as the tables say): one draw of {@link Jitter}.
   */
  static long[] run(CompiledSchedule c, CostTables t, long[] releaseNanos, double[] factor) {
    final int n = c.actionCount();
    final int p = c.deviceCount();
    final int[] first = c.deviceFirst;
    final int[] deviceOf = c.deviceOf;
    final int[] key = c.costKey;
    final int[] same = c.sameStageDep;
    final int[] cross = c.crossStageDep;
    final int[] dependant0 = c.dependant0;
    final int[] dependant1 = c.dependant1;
    final long[] duration = t.durationNanos;
    final long[] transfer = t.transferNanos;
    final long[] send = t.sendNanos;
    final Scratch scratch = SCRATCH.get().ensure(n, p);
    // Stale entries of a reused end[] are never read: an action's end is read only once the action
    // has run.
    final long[] end = scratch.end;
    final int[] next = scratch.next;
    final long[] free = scratch.free;
    final boolean[] parked = scratch.parked;
    final int[] stack = scratch.stack;
    System.arraycopy(first, 0, next, 0, p);
    if (releaseNanos == null) {
      Arrays.fill(free, 0, p, 0L);
    } else {
      System.arraycopy(releaseNanos, 0, free, 0, p);
    }
    Arrays.fill(parked, 0, p, false);
    int top = 0;
    for (int d = p - 1; d >= 0; d--) {
      stack[top++] = d;
    }
    while (top > 0) {
      final int d = stack[--top];
      final int limit = first[d + 1];
      int k = next[d];
      long deviceTime = free[d];
      while (k < limit) {
        long start = deviceTime;
        int sd = same[k];
        if (sd >= 0) {
          if (sd > k) {
            // The action's own forward (or I) comes later on this device: it can never run.
            parked[d] = true;
            break;
          }
          long e = end[sd];
          if (e > start) {
            start = e;
          }
        }
        int cd = cross[k];
        int kk = key[k];
        if (cd >= 0) {
          int cdDevice = deviceOf[cd];
          int done = cdDevice == d ? k : next[cdDevice];
          if (cd >= done) {
            parked[d] = true;
            break;
          }
          long e = end[cd] + transfer[kk];
          if (e > start) {
            start = e;
          }
        }
        end[k] = start + (factor == null ? duration[kk] : Math.round(duration[kk] * factor[k]));
        deviceTime = end[k] + send[kk];
        next[d] = ++k;
        int x = dependant0[k - 1];
        if (x >= 0) {
          int xd = deviceOf[x];
          if (parked[xd] && next[xd] == x) {
            parked[xd] = false;
            stack[top++] = xd;
          }
          x = dependant1[k - 1];
          if (x >= 0) {
            xd = deviceOf[x];
            if (parked[xd] && next[xd] == x) {
              parked[xd] = false;
              stack[top++] = xd;
            }
          }
        }
      }
      free[d] = deviceTime;
    }
    for (int d = 0; d < p; d++) {
      if (next[d] < first[d + 1]) {
        throw deadlock(c, Arrays.copyOf(next, p));
      }
    }
    return end;
  }

  /**
   * Per-thread working arrays, grown as needed and reused, so that the planner's many simulations
   * allocate nothing in proportion to the schedule (large fresh arrays are also the garbage
   * collector's most expensive kind). The arrays returned by {@link #run} are only valid until the
   * thread's next simulation.
   */
  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private static final class Scratch {
    long[] end = new long[0];
    int[] next = new int[0];
    long[] free = new long[0];
    boolean[] parked = new boolean[0];
    int[] stack = new int[0];

    Scratch ensure(int actions, int devices) {
      if (end.length < actions) {
        end = new long[Math.max(actions, end.length + end.length / 2)];
      }
      if (next.length < devices) {
        next = new int[devices];
        free = new long[devices];
        parked = new boolean[devices];
        stack = new int[devices];
      }
      return this;
    }
  }

  static long iterationOf(CompiledSchedule c, long[] end) {
    long iteration = 0;
    for (int d = 0; d < c.deviceCount(); d++) {
      int last = c.deviceFirst[d + 1] - 1;
      if (last >= c.deviceFirst[d] && end[last] > iteration) {
        iteration = end[last];
      }
    }
    return iteration;
  }

  private static Metrics metricsOf(CompiledSchedule c, CostTables t, long[] end) {
    int p = c.deviceCount();
    long iteration = iterationOf(c, end);
    List<DeviceMetrics> devices = new ArrayList<>(p);
    long totalBusy = 0;
    for (int d = 0; d < p; d++) {
      long busy = 0;
      long memory = t.staticBytesPerDevice[d];
      long peakMemory = memory;
      int inFlight = 0;
      int peakInFlight = 0;
      for (int k = c.deviceFirst[d]; k < c.deviceFirst[d + 1]; k++) {
        int kk = c.costKey[k];
        busy += t.durationNanos[kk];
        memory += t.memoryDeltaBytes[kk];
        if (memory > peakMemory) {
          peakMemory = memory;
        }
        inFlight += CostTables.inFlightDelta(kk & (CompiledSchedule.TYPES - 1));
        if (inFlight > peakInFlight) {
          peakInFlight = inFlight;
        }
      }
      totalBusy += busy;
      devices.add(new DeviceMetrics(d, busy, peakMemory, peakInFlight));
    }
    double bubble = iteration == 0 ? 0.0 : 1.0 - (double) totalBusy / ((double) p * iteration);
    return new Metrics(iteration, bubble, devices);
  }

  private static List<TimedAction> timedActions(CompiledSchedule c, CostTables t, long[] end) {
    List<TimedAction> result = new ArrayList<>(c.actionCount());
    for (int d = 0; d < c.deviceCount(); d++) {
      for (int k = c.deviceFirst[d]; k < c.deviceFirst[d + 1]; k++) {
        result.add(new TimedAction(d, c.action(k), end[k] - t.durationNanos[c.costKey[k]], end[k]));
      }
    }
    return result;
  }

  /**
   * Transfers that carry bytes between two devices, by receiving device, in the receiver's order.
   */
  private static List<Transfer> transfers(CompiledSchedule c, CostTables t, long[] end) {
    List<Transfer> result = new ArrayList<>();
    for (int k = 0; k < c.actionCount(); k++) {
      int producer = c.crossStageDep[k];
      if (producer < 0 || c.deviceOf[producer] == c.deviceOf[k]) {
        continue;
      }
      long bytes = t.transferBytes[c.costKey[k]];
      if (bytes <= 0) {
        continue;
      }
      long start = end[producer];
      result.add(
          new Transfer(
              c.deviceOf[producer],
              c.deviceOf[k],
              c.action(producer),
              c.action(k),
              bytes,
              start,
              start + t.transferNanos[c.costKey[k]]));
    }
    return result;
  }

  /**
   * Memory levels: one point at time 0 with the static bytes, then one wherever the level changes
   * (an F's start, a freeing action's end). Changes at the same instant on one device merge into
   * one point.
   */
  private static List<MemoryPoint> memoryPoints(CompiledSchedule c, CostTables t, long[] end) {
    List<MemoryPoint> result = new ArrayList<>();
    for (int d = 0; d < c.deviceCount(); d++) {
      long level = t.staticBytesPerDevice[d];
      long lastTime = 0;
      result.add(new MemoryPoint(d, 0, level));
      for (int k = c.deviceFirst[d]; k < c.deviceFirst[d + 1]; k++) {
        int kk = c.costKey[k];
        long delta = t.memoryDeltaBytes[kk];
        if (delta == 0) {
          continue;
        }
        level += delta;
        long time =
            (kk & (CompiledSchedule.TYPES - 1)) == CompiledSchedule.F
                ? end[k] - t.durationNanos[kk]
                : end[k];
        MemoryPoint point = new MemoryPoint(d, time, level);
        if (time == lastTime) {
          result.set(result.size() - 1, point);
        } else {
          result.add(point);
        }
        lastTime = time;
      }
    }
    return result;
  }

  private static BadInputException deadlock(CompiledSchedule c, int[] next) {
    StringBuilder message =
        new StringBuilder("schedule '").append(c.schedule().name()).append("' deadlocks: ");
    int lines = 0;
    int stuck = 0;
    for (int d = 0; d < c.deviceCount(); d++) {
      int k = next[d];
      if (k >= c.deviceFirst[d + 1]) {
        continue;
      }
      stuck++;
      if (lines == MAX_DEADLOCK_LINES) {
        continue;
      }
      Action waiting = c.action(k);
      int blocker = -1;
      for (int dep : new int[] {c.sameStageDep[k], c.crossStageDep[k]}) {
        if (dep >= 0 && dep >= next[c.deviceOf[dep]] && blocker < 0) {
          blocker = dep;
        }
      }
      message
          .append(lines == 0 ? "" : "; ")
          .append("device ")
          .append(d)
          .append(" waits at ")
          .append(waiting);
      if (blocker >= 0) {
        message
            .append(" for ")
            .append(c.action(blocker))
            .append(" (device ")
            .append(c.deviceOf[blocker])
            .append(blocker > k && c.deviceOf[blocker] == d ? ", later in its own list" : "")
            .append(')');
      }
      lines++;
    }
    if (stuck > lines) {
      message.append("; and ").append(stuck - lines).append(" more devices");
    }
    message.append(
        ". Maybe check each device's order against the dependencies F(s-1,j) -> F(s,j),"
            + " backward(s+1,j) -> backward(s,j), F(s,j) -> backward(s,j), I(s,j) -> W(s,j).");
    return new BadInputException(message.toString());
  }
}
