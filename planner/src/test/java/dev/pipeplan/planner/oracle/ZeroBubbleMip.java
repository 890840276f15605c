package dev.pipeplan.planner.oracle;

import dev.pipeplan.planner.partition.MipPartitioner;
import dev.pipeplan.simulator.cost.StageCosts;
import dev.pipeplan.simulator.engine.Simulator;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;

/**
 * The exact zero-bubble schedule for small cases, as a mixed-integer program in the spirit of Qi et
 * al.'s ILP (ICLR 2024, appendix): one stage per device, a start time per F, I and W, the data
 * dependencies with their transfer times, a binary order for every pair of one device's actions
 * that the dependencies leave open, and the in-flight cap as "F(s, j) after W(s, j - cap)". Like
 * the paper (and like zb-auto), each stage runs its F's, its I's and its W's in micro-batch order.
 * The objective is the simulator's iteration time: the latest end.
 *
 * <p>ojalgo's answer is never trusted as a number: the solution's device orders are read from its
 * start times and timed by the simulator, and the program is solved again with the makespan forced
 * strictly below that; only an infeasible re-solve certifies the optimum (as {@link MipPartitioner}
 * does for partitions, with its exact solver options).
 */
final class ZeroBubbleMip {
  private final int p;
  private final int m;
  private final int cap;
  private final StageCosts costs;

  ZeroBubbleMip(int deviceCount, int microBatchCount, int cap, StageCosts costs) {
    this.p = deviceCount;
    this.m = microBatchCount;
    this.cap = cap;
    this.costs = costs;
  }

  /** The optimal iteration time, certified; the search starts below {@code upperNanos}. */
  long optimumNanos(long upperNanos) {
    long best = upperNanos;
    for (int round = 0; round < 100; round++) {
      Optional<Schedule> better = solveBelow(best);
      if (better.isEmpty()) {
        return best;
      }
      long timed = Simulator.metrics(better.get(), costs).iterationNanos();
      if (timed >= best) {
        throw new IllegalStateException(
            "MIP claims makespan < " + best + " but its order times at " + timed);
      }
      best = timed;
    }
    throw new IllegalStateException("no certificate after 100 rounds");
  }

  private long dur(int type, int s) {
    return switch (type) {
      case 0 -> costs.stage(s).forwardNanos();
      case 1 -> costs.stage(s).backwardInputNanos();
      default -> costs.stage(s).backwardWeightNanos();
    };
  }

  private long intoF(int s) {
    return s == 0 ? 0 : costs.links().transferNanos(s - 1, s, costs.stage(s - 1).outputBytes());
  }

  private long intoI(int s) {
    return s + 1 == p ? 0 : costs.links().transferNanos(s + 1, s, costs.stage(s).outputBytes());
  }

  private int id(int type, int s, int j) {
    return (type * p + s) * m + j;
  }

  private long durOf(int id) {
    return dur(id / (p * m), (id / m) % p);
  }

  /** Precedence edges {later, earlier, gap}: the data dependencies, stage orders and the cap. */
  private List<long[]> edges() {
    List<long[]> edges = new ArrayList<>();
    for (int s = 0; s < p; s++) {
      for (int j = 0; j < m; j++) {
        if (s > 0) {
          edges.add(new long[] {id(0, s, j), id(0, s - 1, j), dur(0, s - 1) + intoF(s)});
        }
        edges.add(new long[] {id(1, s, j), id(0, s, j), dur(0, s)});
        if (s + 1 < p) {
          edges.add(new long[] {id(1, s, j), id(1, s + 1, j), dur(1, s + 1) + intoI(s)});
        }
        edges.add(new long[] {id(2, s, j), id(1, s, j), dur(1, s)});
        if (j > 0) {
          for (int t = 0; t < 3; t++) {
            edges.add(new long[] {id(t, s, j), id(t, s, j - 1), dur(t, s)});
          }
        }
        if (j - cap >= 0) {
          edges.add(new long[] {id(0, s, j), id(2, s, j - cap), dur(2, s)});
        }
      }
    }
    return edges;
  }

  /** A schedule with makespan strictly below {@code limit}, if one exists. */
  private Optional<Schedule> solveBelow(long limit) {
    int n = 3 * p * m;
    List<long[]> edges = edges();
    // Earliest starts (heads) and latest starts (limit - 1 - tail - duration) by longest paths.
    long[] head = new long[n];
    long[] tail = new long[n];
    for (int round = 0; round < n; round++) {
      boolean changed = false;
      for (long[] e : edges) {
        int later = (int) e[0];
        int earlier = (int) e[1];
        if (head[earlier] + e[2] > head[later]) {
          head[later] = head[earlier] + e[2];
          changed = true;
        }
        long viaLater = tail[later] + durOf(later) + e[2] - durOf(earlier);
        if (viaLater > tail[earlier]) {
          tail[earlier] = viaLater;
          changed = true;
        }
      }
      if (!changed) {
        break;
      }
    }
    long[] latest = new long[n];
    for (int a = 0; a < n; a++) {
      latest[a] = limit - 1 - tail[a] - durOf(a);
      if (latest[a] < head[a]) {
        return Optional.empty();
      }
    }
    // One device at a time: its 3m actions run one after another, no earlier than the smallest
    // head and leaving at least the smallest tail; when even that misses the limit, nothing fits.
    for (int s = 0; s < p; s++) {
      long firstHead = Long.MAX_VALUE;
      long lastTail = Long.MAX_VALUE;
      long busy = 0;
      for (int t = 0; t < 3; t++) {
        for (int j = 0; j < m; j++) {
          int a = id(t, s, j);
          firstHead = Math.min(firstHead, head[a]);
          lastTail = Math.min(lastTail, tail[a]);
          busy += durOf(a);
        }
      }
      if (firstHead + busy + lastTail > limit - 1) {
        return Optional.empty();
      }
    }
    ExpressionsBasedModel model = new ExpressionsBasedModel(MipPartitioner.exactOptions());
    Variable[] start = new Variable[n];
    for (int a = 0; a < n; a++) {
      start[a] = model.newVariable("S" + a).lower(head[a]).upper(latest[a]);
    }
    Variable makespan = model.newVariable("C").lower(0).upper(limit - 1).weight(1);
    int[] counter = {0};
    for (long[] e : edges) {
      after(model, counter, start[(int) e[0]], start[(int) e[1]], e[2]);
    }
    for (int s = 0; s < p; s++) {
      for (int t = 0; t < 3; t++) {
        int last = id(t, s, m - 1);
        after(model, counter, makespan, start[last], durOf(last));
      }
      // Open pairs on device s: F_j with I_k and W_k for j - cap < k < j; I_j with W_k for k < j.
      Variable[][] fi = new Variable[m][m];
      Variable[][] fw = new Variable[m][m];
      Variable[][] iw = new Variable[m][m];
      for (int j = 0; j < m; j++) {
        for (int k = Math.max(0, j - cap + 1); k < j; k++) {
          fi[j][k] = either(model, counter, head, latest, start, id(0, s, j), id(1, s, k));
          fw[j][k] = either(model, counter, head, latest, start, id(0, s, j), id(2, s, k));
        }
        for (int k = 0; k < j; k++) {
          iw[j][k] = either(model, counter, head, latest, start, id(1, s, j), id(2, s, k));
        }
      }
      // Orders are monotone: if X_j precedes Y_k then X_{j-1} precedes Y_k and X_j precedes
      // Y_{k+1}.
      monotone(model, counter, fi, m);
      monotone(model, counter, fw, m);
      monotone(model, counter, iw, m);
    }
    Optimisation.Result result = model.minimise();
    if (!result.getState().isFeasible()) {
      return Optional.empty();
    }
    List<List<Action>> lists = new ArrayList<>(p);
    for (int s = 0; s < p; s++) {
      List<double[]> keyed = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        for (int j = 0; j < m; j++) {
          keyed.add(new double[] {start[id(t, s, j)].getValue().doubleValue(), t, j});
        }
      }
      // Ties by type then micro-batch: zero-length gaps never reorder a dependency.
      keyed.sort(
          Comparator.<double[]>comparingDouble(x -> x[0])
              .thenComparingDouble(x -> x[1])
              .thenComparingDouble(x -> x[2]));
      List<Action> actions = new ArrayList<>();
      for (double[] x : keyed) {
        ActionType type = x[1] == 0 ? ActionType.F : x[1] == 1 ? ActionType.I : ActionType.W;
        actions.add(Action.of(type, s, (int) x[2]));
      }
      lists.add(actions);
    }
    return Optional.of(new Schedule("mip", p, m, Schedule.loopedPlacement(p, 1), lists));
  }

  /**
   * A binary y: y = 1 puts a before b, y = 0 puts b before a, with the smallest big-M constants the
   * start windows allow; a pair whose windows allow one order only gets y fixed.
   */
  private Variable either(
      ExpressionsBasedModel model,
      int[] counter,
      long[] head,
      long[] latest,
      Variable[] start,
      int a,
      int b) {
    Variable y = model.newVariable("y" + counter[0]++).binary();
    long durA = durOf(a);
    long durB = durOf(b);
    boolean aFirstPossible = head[a] + durA <= latest[b];
    boolean bFirstPossible = head[b] + durB <= latest[a];
    if (!aFirstPossible) {
      y.level(0);
    }
    if (!bFirstPossible) {
      y.level(1);
    }
    // y = 1: b >= a + durA, relaxed by bigA when y = 0.
    long bigA = Math.max(0, latest[a] + durA - head[b]);
    Expression first = model.newExpression("or" + counter[0]++).lower(durA - bigA);
    first.set(start[b], 1);
    first.set(start[a], -1);
    first.set(y, -bigA);
    // y = 0: a >= b + durB, relaxed by bigB when y = 1.
    long bigB = Math.max(0, latest[b] + durB - head[a]);
    Expression second = model.newExpression("or" + counter[0]++).lower(durB);
    second.set(start[a], 1);
    second.set(start[b], -1);
    second.set(y, bigB);
    return y;
  }

  /** later >= earlier + gap. */
  private static void after(
      ExpressionsBasedModel model, int[] counter, Variable later, Variable earlier, long gap) {
    Expression e = model.newExpression("prec" + counter[0]++).lower(gap);
    e.set(later, 1);
    e.set(earlier, -1);
  }

  private static void monotone(ExpressionsBasedModel model, int[] counter, Variable[][] y, int m) {
    for (int j = 0; j < m; j++) {
      for (int k = 0; k < m; k++) {
        if (y[j][k] == null) {
          continue;
        }
        if (j > 0 && y[j - 1][k] != null) {
          Expression e = model.newExpression("mono" + counter[0]++).lower(0);
          e.set(y[j - 1][k], 1);
          e.set(y[j][k], -1);
        }
        if (k + 1 < m && y[j][k + 1] != null) {
          Expression e = model.newExpression("mono" + counter[0]++).lower(0);
          e.set(y[j][k + 1], 1);
          e.set(y[j][k], -1);
        }
      }
    }
  }
}
