package dev.pipeplan.planner.partition;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Partition;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;
import org.ojalgo.optimisation.integer.IntegerStrategy;
import org.ojalgo.optimisation.integer.NodeKey;
import org.ojalgo.type.context.NumberContext;

/**
 * A mixed-integer program for what {@link MinMaxPartitioner} cannot express: it minimises the
 * largest <em>device</em> load (the sum of the times of all chunks a device runs, so v > 1
 * placements are balanced per device, not per chunk) subject to every device's <em>summed</em>
 * memory fitting its own limit (limits and speeds may differ device by device, as with mixed device
 * kinds).
 *
 * <p>Formulation: binary {@code c[i][s]} = "layer i is in a stage <= s" for s < S-1 (the last is
 * always 1); it is non-increasing in i and non-decreasing in s, so stages are contiguous and in
 * order; layer i is in stage s exactly when {@code c[i][s] - c[i][s-1] = 1}; every stage holds at
 * least one layer. A continuous {@code z} bounds every device's load; the objective is {@code min
 * z}.
 *
 * <p>ojalgo 57's branch-and-bound once returned a non-optimal solution as "optimal" with its
 * default parallel search and GMI cuts, so this solver runs it with one worker, one node priority
 * (depth first), no GMI cuts and a zero gap tolerance; then it re-solves with {@code z} strictly
 * below the answer, and only accepts the answer when that is infeasible. The returned partition's
 * load is recomputed exactly from the problem, never read from the solver.
 */
public final class MipPartitioner {
  /** Above this many binary variables the MIP is not attempted (the search uses the DP). */
  public static final int MAX_BINARIES = 4_000;

  private MipPartitioner() {}

  /**
   * The integer strategy this solver uses: sequential, cut-free, exact gap. ojalgo's strategy may
   * still choose to cut rather than branch at a node and then reads the GMI configuration: a null
   * one failed there (a NullPointerException, seen once in CI), so the configuration is one that
   * admits no cut (no variable is more than 0.5 from an integer, and no cut violates by 10^300).
   */
  @SuppressWarnings("unchecked")
  public static IntegerStrategy exactStrategy() {
    return IntegerStrategy.newConfigurable()
        .withParallelism(() -> 1)
        .withPriorityDefinitions(NodeKey.DEPTH_FIRST_SEARCH)
        .withGMICutConfiguration(
            new IntegerStrategy.GMICutConfiguration()
                .withFractionality(0.5)
                .withViolation(new java.math.BigDecimal("1e300")))
        .withGapTolerance(NumberContext.of(16, 16));
  }

  /** The options every model of this solver is built with. */
  public static Optimisation.Options exactOptions() {
    Optimisation.Options options = new Optimisation.Options();
    options.integer(exactStrategy());
    return options;
  }

  /**
   * The partition with the smallest largest device load that fits every device's memory; empty if
   * none fits.
   */
  public static Optional<Partition> solve(PartitionProblem problem) {
    Objects.requireNonNull(problem, "problem");
    Optional<Partition> first = solveBelow(problem, Double.POSITIVE_INFINITY);
    if (first.isEmpty()) {
      return first;
    }
    Partition best = first.get();
    // Certificate: nothing strictly better may exist; if the solver finds something, keep
    // improving.
    for (int round = 0; round < 50; round++) {
      long load = maxLoad(problem, best);
      Optional<Partition> better = solveBelow(problem, load - 0.5);
      if (better.isEmpty() || maxLoad(problem, better.get()) >= load) {
        return Optional.of(best);
      }
      best = better.get();
    }
    return Optional.of(best);
  }

  /** The largest device load of a partition, computed exactly from the problem. */
  public static long maxLoad(PartitionProblem problem, Partition partition) {
    long worst = 0;
    for (long load : problem.deviceLoadNanos(partition)) {
      worst = Math.max(worst, load);
    }
    return worst;
  }

  private static Optional<Partition> solveBelow(PartitionProblem problem, double loadBound) {
    int n = problem.layerCount();
    int stages = problem.stageCount();
    int devices = problem.deviceCount();
    if ((long) n * Math.max(1, stages - 1) > MAX_BINARIES) {
      throw new BadInputException(
          "the MIP partitioner handles at most "
              + MAX_BINARIES
              + " binaries; "
              + n
              + " layers x "
              + stages
              + " stages is too many. Maybe use the DP partitioner.");
    }
    double timeScale = 0;
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < devices; d++) {
        timeScale = Math.max(timeScale, problem.layerNanos(i) / problem.deviceSpeed(d));
      }
    }
    timeScale = timeScale > 0 ? timeScale : 1;

    ExpressionsBasedModel model = new ExpressionsBasedModel(exactOptions());
    Variable[][] c = new Variable[n][Math.max(0, stages - 1)];
    for (int i = 0; i < n; i++) {
      for (int s = 0; s < stages - 1; s++) {
        c[i][s] = model.newVariable("c_" + i + "_" + s).binary();
      }
    }
    Variable z = model.newVariable("z").lower(0).weight(1);
    if (Double.isFinite(loadBound)) {
      z.upper(BigDecimal.valueOf(loadBound / timeScale));
    }
    for (int i = 0; i < n; i++) {
      for (int s = 0; s < stages - 1; s++) {
        if (s + 1 < stages - 1) {
          model
              .newExpression("stage_order_" + i + "_" + s)
              .upper(0)
              .set(c[i][s], 1)
              .set(c[i][s + 1], -1);
        }
        if (i + 1 < n) {
          model
              .newExpression("layer_order_" + i + "_" + s)
              .upper(0)
              .set(c[i + 1][s], 1)
              .set(c[i][s], -1);
        }
      }
    }
    for (int s = 0; s < stages; s++) {
      Linear nonEmpty = new Linear(c, stages);
      for (int i = 0; i < n; i++) {
        nonEmpty.addMember(i, s, 1.0);
      }
      nonEmpty.addTo(model, "non_empty_" + s, 1.0, null);
    }
    for (int d = 0; d < devices; d++) {
      Linear load = new Linear(c, stages);
      Linear memory = new Linear(c, stages);
      double memoryScale = Math.max(1.0, (double) problem.deviceMemoryBytes(d));
      boolean hasStage = false;
      for (int s = 0; s < stages; s++) {
        if (problem.deviceOf(s) != d) {
          continue;
        }
        hasStage = true;
        for (int i = 0; i < n; i++) {
          load.addMember(i, s, problem.layerNanos(i) / problem.deviceSpeed(d) / timeScale);
          double bytes =
              problem.layerStaticBytes(i)
                  + (double) problem.inFlight(s) * problem.layerActivationBytes(i);
          memory.addMember(i, s, bytes / memoryScale);
        }
      }
      if (!hasStage) {
        continue;
      }
      load.coefficient(z, -1.0);
      load.addTo(model, "load_" + d, null, 0.0);
      if (problem.deviceMemoryBytes(d) < Long.MAX_VALUE) {
        memory.addTo(model, "memory_" + d, null, problem.deviceMemoryBytes(d) / memoryScale);
      }
    }
    Optimisation.Result result = model.minimise();
    if (!result.getState().isFeasible()) {
      return Optional.empty();
    }
    List<Integer> counts = new ArrayList<>(stages);
    int previousEnd = 0;
    for (int s = 0; s < stages; s++) {
      int end;
      if (s == stages - 1) {
        end = n;
      } else {
        end = 0;
        for (int i = 0; i < n; i++) {
          if (c[i][s].getValue().doubleValue() > 0.5) {
            end = i + 1;
          }
        }
      }
      if (end - previousEnd < 1) {
        return Optional.empty();
      }
      counts.add(end - previousEnd);
      previousEnd = end;
    }
    Partition partition = new Partition(counts);
    if (!problem.fits(partition)) {
      return Optional.empty();
    }
    return Optional.of(partition);
  }

  /**
   * A linear expression over "layer i in stage s" memberships, with the constant part kept apart.
   */
  private static final class Linear {
    private final Variable[][] c;
    private final int stages;
    private final LinkedHashMap<Variable, Double> terms = new LinkedHashMap<>();
    private double constant;

    Linear(Variable[][] c, int stages) {
      this.c = c;
      this.stages = stages;
    }

    /** Adds {@code coef * (c[i][s] - c[i][s-1])}, with c[i][stages-1] = 1 and c[i][-1] = 0. */
    void addMember(int i, int s, double coef) {
      if (s == stages - 1) {
        constant += coef;
      } else {
        coefficient(c[i][s], coef);
      }
      if (s >= 1) {
        coefficient(c[i][s - 1], -coef);
      }
    }

    void coefficient(Variable v, double coef) {
      terms.merge(v, coef, Double::sum);
    }

    void addTo(ExpressionsBasedModel model, String name, Double lower, Double upper) {
      Expression e = model.newExpression(name);
      for (Map.Entry<Variable, Double> t : terms.entrySet()) {
        e.set(t.getKey(), t.getValue());
      }
      if (lower != null) {
        e.lower(BigDecimal.valueOf(lower - constant));
      }
      if (upper != null) {
        e.upper(BigDecimal.valueOf(upper - constant));
      }
    }
  }
}
