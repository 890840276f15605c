package dev.pipeplan.reports;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.MemoryPoint;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.Transfer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Hand-built 1F1B timelines for report tests: p devices, one stage each, m micro-batches, uniform
 * costs, placed by a tiny list scheduler so that the pictures look like real schedules. Not the
 * project's simulator: reports must not depend on it, and tests need timelines whose numbers they
 * know.
 */
public final class TestTimelines {
  private TestTimelines() {}

  /** 1F1B with F = 1 ms and B = 2 ms, no transfers or memory. */
  public static Timeline oneFOneB(int p, int m) {
    return build(Timeline.PREDICTED, p, m, false, 0, 0, null);
  }

  /**
   * 1F1B with B split into I then W (W run right after I), transfers of {@code commNanos} between
   * devices, and memory: 1 GiB static per device, 256 MiB of activations per micro-batch in flight.
   */
  public static Timeline zeroBubbleLike(int p, int m, long commNanos) {
    return build(Timeline.PREDICTED, p, m, true, commNanos, 1L << 30, null);
  }

  /**
   * The same shape as {@link #zeroBubbleLike} with every duration scaled by a seeded factor in
   * [0.85, 1.25].
   */
  public static Timeline measured(int p, int m, long commNanos, long seed) {
    return build(Timeline.MEASURED, p, m, true, commNanos, 1L << 30, new SplittableRandom(seed));
  }

  /**
   * A made-up search over four schedule kinds and m = 4..1024 on p = 8 devices: fewer micro-batches
   * mean more bubble, more mean more per-action overhead; GPipe holds every micro-batch's
   * activations, so large m does not fit in 80 GiB. The 1F1B point at m = 64 is marked chosen.
   */
  public static List<dev.pipeplan.reports.chart.SearchPoint> search() {
    List<dev.pipeplan.reports.chart.SearchPoint> points = new ArrayList<>();
    String[] kinds = {"gpipe", "1f1b", "interleaved", "zb-h1"};
    double[] bubble = {1.0, 1.0, 0.5, 0.35};
    int p = 8;
    for (int k = 0; k < kinds.length; k++) {
      for (int m = 4; m <= 1024; m *= 2) {
        double work = 1000.0;
        double iterationMs = work * (1 + bubble[k] * (p - 1) / m) + 0.05 * m * (k == 2 ? 2 : 1);
        long inFlight = k == 0 ? m : Math.min(m, p) * (k == 2 ? 2 : 1);
        long peak = (20L << 30) + inFlight * (1L << 30) * 64 / m * 4 / 4;
        boolean feasible = peak <= (80L << 30);
        points.add(
            new dev.pipeplan.reports.chart.SearchPoint(
                kinds[k], m, Math.round(iterationMs * 1e6), peak, feasible, k == 1 && m == 64));
      }
    }
    return points;
  }

  private static Timeline build(
      String source,
      int p,
      int m,
      boolean split,
      long commNanos,
      long staticBytes,
      SplittableRandom noise) {
    long forward = 1_000_000;
    long backward = 2_000_000;
    long activation = 256L << 20;
    List<List<Action>> orders = new ArrayList<>();
    for (int d = 0; d < p; d++) {
      List<Action> order = new ArrayList<>();
      int warmup = Math.min(p - d - 1, m);
      int f = 0;
      int b = 0;
      for (; f < warmup; f++) {
        order.add(Action.of(ActionType.F, d, f));
      }
      while (b < m) {
        if (f < m) {
          order.add(Action.of(ActionType.F, d, f++));
        }
        if (split) {
          order.add(Action.of(ActionType.I, d, b));
          order.add(Action.of(ActionType.W, d, b));
        } else {
          order.add(Action.of(ActionType.B, d, b));
        }
        b++;
      }
      orders.add(order);
    }
    Map<Action, long[]> done = new HashMap<>();
    List<TimedAction> actions = new ArrayList<>();
    List<Transfer> transfers = new ArrayList<>();
    List<MemoryPoint> memory = new ArrayList<>();
    long[] free = new long[p];
    long[] level = new long[p];
    int[] next = new int[p];
    for (int d = 0; d < p; d++) {
      level[d] = staticBytes;
      if (staticBytes > 0) {
        memory.add(new MemoryPoint(d, 0, staticBytes));
      }
    }
    int placed = 0;
    int total = 0;
    for (List<Action> o : orders) {
      total += o.size();
    }
    while (placed < total) {
      boolean progress = false;
      for (int d = 0; d < p; d++) {
        while (next[d] < orders.get(d).size()) {
          Action a = orders.get(d).get(next[d]);
          long ready = free[d];
          Action remote = null;
          if (a.type() == ActionType.F && a.stage() > 0) {
            remote = Action.of(ActionType.F, a.stage() - 1, a.microBatch());
          } else if (a.type() != ActionType.F && a.type() != ActionType.W && a.stage() < p - 1) {
            remote = Action.of(split ? ActionType.I : ActionType.B, a.stage() + 1, a.microBatch());
          }
          Action local =
              a.type() == ActionType.W
                  ? Action.of(ActionType.I, a.stage(), a.microBatch())
                  : a.type() == ActionType.F
                      ? null
                      : Action.of(ActionType.F, a.stage(), a.microBatch());
          if ((remote != null && !done.containsKey(remote))
              || (local != null && !done.containsKey(local))) {
            break;
          }
          if (local != null) {
            ready = Math.max(ready, done.get(local)[1]);
          }
          if (remote != null) {
            long arrive = done.get(remote)[1] + commNanos;
            if (commNanos > 0) {
              transfers.add(
                  new Transfer(
                      remote.stage(), d, remote, a, 4L << 20, done.get(remote)[1], arrive));
            }
            ready = Math.max(ready, arrive);
          }
          long duration =
              a.type() == ActionType.F
                  ? forward
                  : a.type() == ActionType.B ? backward : backward / 2;
          if (noise != null) {
            duration = Math.round(duration * (0.85 + 0.4 * noise.nextDouble()));
          }
          long end = ready + duration;
          done.put(a, new long[] {ready, end});
          actions.add(new TimedAction(d, a, ready, end));
          if (staticBytes > 0) {
            long delta =
                a.type() == ActionType.F
                    ? activation
                    : a.type() == ActionType.B ? -activation : -activation / 2;
            level[d] += delta;
            memory.add(new MemoryPoint(d, a.type() == ActionType.F ? ready : end, level[d]));
          }
          free[d] = end;
          next[d]++;
          placed++;
          progress = true;
        }
      }
      if (!progress) {
        throw new IllegalStateException("fixture schedule deadlocked");
      }
    }
    actions.sort(
        Comparator.comparingInt(TimedAction::device).thenComparingLong(TimedAction::startNanos));
    memory.sort(
        Comparator.comparingInt(MemoryPoint::device).thenComparingLong(MemoryPoint::timeNanos));
    transfers.sort(
        Comparator.comparingLong(Transfer::startNanos)
            .thenComparingInt(Transfer::toDevice)
            .thenComparing(Transfer::consumer));
    return new Timeline(source, split ? "zb-like" : "1f1b", p, actions, transfers, memory);
  }
}
