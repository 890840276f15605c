package dev.pipeplan.executor.core.profile;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.LayerKind;
import dev.pipeplan.models.LayerSpec;
import dev.pipeplan.models.MeasuredTimes;
import dev.pipeplan.models.ModelSpec;
import dev.pipeplan.models.Profile;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.stat.StatUtils;

/**
 * Fits corrections to a profile from measured runs: one multiplier per (layer kind, action type F,
 * I or W), so that a stage's action, predicted as the sum of its layers' profiled times, matches
 * what the run measured. Every action of every measured iteration is one observation; B counts as I
 * plus W. The fit is a robust linear regression of the measured duration on the profiled times
 * grouped by layer kind, each row divided by its measured time (so residuals are the relative
 * errors the comparison reports, and a long action weighs no more than a short one), solved by
 * iteratively reweighted least squares with Huber weights (commons-math3 QR decomposition). Each
 * factor is its action type's shared factor plus a deviation for its layer kind, and a small ridge
 * pulls the deviations to 0: a kind the runs cannot tell apart from another (the embedding, whose
 * time is a rounding error beside four blocks) takes its type's factor instead of an arbitrary one.
 *
 * <p>The robust fit's weights discount the actions that run long: on the 2-core development machine
 * about 30% of them fall outside Huber's band, so its factors describe a typical action and leave
 * the predictions 2–4% short of what the actions take (docs/accuracy.md, "The fit's level"). The
 * factors are then multiplied by one level, so that the fitted times add up to the actions'
 * measured ones, each action taken at its median over the iterations (as the comparison takes it):
 * the kinds' and types' proportions are the robust fit's, the total the runs'.
 */
public final class RunCalibration {
  /** Huber's tuning constant, in robust standard deviations: 95% efficiency for normal errors. */
  static final double HUBER_K = 1.345;

  /** The ridge's weight per factor, as a share of the observations' count. */
  static final double RIDGE_SHARE = 1e-3;

  /** The shared factors' pull to 1, relative to the deviations' pull to 0. */
  static final double SHARED_RIDGE_SHARE = 0.1;

  static final int MAX_ITERATIONS = 100;

  /** Factors are kept within these bounds; a fit that needs more is refused. */
  static final double MIN_FACTOR = 0.05;

  static final double MAX_FACTOR = 20;

  private static final List<ActionType> FITTED_TYPES =
      List.of(ActionType.F, ActionType.I, ActionType.W);

  private RunCalibration() {}

  /** Which measured time of an action the fit explains. */
  public enum TimeBasis {
    /**
     * The worker thread's CPU time during the action, as the profile measures layers: the time
     * other processes held the core is left out, so a busy machine does not end up in the costs.
     */
    CPU,
    /** The action's wall-clock duration, as the run's timeline shows it. */
    WALL,
    /**
     * Each run on its own: wall time where the machine was quiet ({@link RunNoise#busy()} false, or
     * not recorded), the thread's CPU time where it was busy (and recorded). On a quiet machine an
     * action's wall time stays a few percent above its CPU time (the JVM's own threads, the host),
     * and the iteration error compares wall times, so a fit to CPU time leaves the prediction short
     * by that share (docs/accuracy.md, "Calibrating on wall time"); on a busy one the wall time
     * would teach the costs the machine's load.
     */
    QUIET_WALL;

    /** Whether the fit takes {@code run}'s actions by their CPU time. */
    boolean usesCpu(MeasuredRun run) {
      return switch (this) {
        case CPU -> true;
        case WALL -> false;
        case QUIET_WALL -> run.noise().busy() && !run.actionCpuNanos().isEmpty();
      };
    }
  }

  /**
   * The calibrated profile and how the fit went.
   *
   * @param basis the measured time the fit explains
   * @param runCount the runs fitted
   * @param busyRuns with {@link TimeBasis#QUIET_WALL}, the runs taken by their CPU time because the
   *     machine was busy (0 otherwise)
   * @param fusedBackward whether every backward ran fused (B): then I and W share one factor
   * @param calibrated the input profile with every layer's times multiplied by its kind's factors
   *     and the corrections recorded
   * @param terms one per fitted (kind, action type), sorted by kind then type
   * @param observations the measured actions used
   * @param downWeighted observations the Huber weights counted as outliers (weight below 1)
   * @param iterations IRLS iterations until the factors settled
   * @param before per-action relative errors with the profile as given
   * @param after the same with the fitted factors
   * @param level the common multiplier applied to the robust fit's factors so that the fitted times
   *     add up to the actions' measured ones (each action's median over the iterations)
   * @param handoff the hand-off latency the quiet runs' waits show
   * @param jitter how much the quiet runs' actions varied between iterations
   */
  public record Result(
      TimeBasis basis,
      int runCount,
      int busyRuns,
      boolean fusedBackward,
      Profile calibrated,
      List<Term> terms,
      int observations,
      int downWeighted,
      int iterations,
      Residuals before,
      Residuals after,
      double level,
      HandoffFit handoff,
      ActionJitter jitter) {
    public Result {
      Objects.requireNonNull(calibrated, "calibrated");
      Objects.requireNonNull(handoff, "handoff");
      Objects.requireNonNull(jitter, "jitter");
      terms = List.copyOf(terms);
      Objects.requireNonNull(before, "before");
      Objects.requireNonNull(after, "after");
    }

    /** The fit as text: the factors, then the residuals before and after. */
    public List<String> lines() {
      List<String> out = new ArrayList<>();
      out.add(
          String.format(
              java.util.Locale.ROOT,
              "fit: %d measured actions (%s), robust least squares (Huber weights, %d"
                  + " iterations), %d down-weighted as outliers%s",
              observations,
              switch (basis) {
                case CPU -> "thread CPU time";
                case WALL -> "wall time";
                case QUIET_WALL ->
                    busyRuns == 0
                        ? "wall time: every run was quiet"
                        : busyRuns == runCount
                            ? "thread CPU time: every run was busy"
                            : "wall time where the run was quiet, thread CPU time in the "
                                + busyRuns
                                + " busy run"
                                + (busyRuns == 1 ? "" : "s");
              },
              iterations,
              downWeighted,
              fusedBackward ? "; every backward ran fused (B), so I and W share a factor" : ""));
      out.add(
          String.format(
              java.util.Locale.ROOT,
              "level: the robust factors times %.3f, so that the fitted times add up to the"
                  + " actions' measured ones (each action's median over the iterations)",
              level));
      out.add("  layer kind          action  factor  actions");
      for (Term t : terms) {
        out.add(
            String.format(
                java.util.Locale.ROOT,
                "  %-18s  %-6s  %6.3f  %7d",
                t.kind().id(),
                t.type(),
                t.factor(),
                t.actionCount()));
      }
      out.add(
          "per-action error (predicted - measured) / measured, over the runs' measured actions:");
      out.add("  before: " + before.text());
      out.add("  after:  " + after.text());
      out.add(handoff.line());
      out.add(jitter.line());
      return out;
    }
  }

  /**
   * One fitted factor.
   *
   * @param kind the layer kind
   * @param type F, I or W
   * @param factor measured over profiled time
   * @param actionCount measured actions whose stage holds layers of this kind
   */
  public record Term(LayerKind kind, ActionType type, double factor, int actionCount) {}

  /**
   * Relative errors {@code (predicted - measured) / measured} of the actions: absolute median and
   * 90th percentile (nearest rank), and the signed median per action type.
   *
   * @param medianAbs median of the absolute errors
   * @param p90Abs 90th percentile of the absolute errors
   * @param signedMedianByType per action type that occurred (F, I, W, B), the median signed error
   */
  public record Residuals(
      double medianAbs, double p90Abs, Map<ActionType, Double> signedMedianByType) {
    public Residuals {
      signedMedianByType = java.util.Collections.unmodifiableMap(new TreeMap<>(signedMedianByType));
    }

    /** "median 21.3%, p90 48.0%; signed median F -35.1%, I +12.0%, W +4.2%". */
    public String text() {
      StringBuilder b =
          new StringBuilder(
              String.format(
                  java.util.Locale.ROOT,
                  "median %.1f%%, p90 %.1f%%; signed median",
                  100 * medianAbs,
                  100 * p90Abs));
      String sep = " ";
      for (Map.Entry<ActionType, Double> e : signedMedianByType.entrySet()) {
        b.append(sep)
            .append(e.getKey())
            .append(String.format(java.util.Locale.ROOT, " %+.1f%%", 100 * e.getValue()));
        sep = ", ";
      }
      return b.toString();
    }
  }

  /**
   * One measured action: its type, its measured time, the profiled times by column, and which
   * action of which run it is (the same action's iterations share it).
   */
  private record Row(ActionType type, double measuredNanos, double[] x, String action) {}

  /**
   * Fits corrections to {@code profile} from {@code runs} of {@code model} on {@link
   * TimeBasis#QUIET_WALL}. {@code sources} names the runs in the corrections (their file names).
   */
  public static Result fit(
      ModelSpec model, Profile profile, List<MeasuredRun> runs, String sources) {
    return fit(model, profile, runs, sources, TimeBasis.QUIET_WALL);
  }

  /** Fits on the given time basis; CPU needs every run to have recorded its actions' CPU times. */
  public static Result fit(
      ModelSpec model, Profile profile, List<MeasuredRun> runs, String sources, TimeBasis basis) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(basis, "basis");
    Objects.requireNonNull(profile, "profile");
    Objects.requireNonNull(runs, "runs");
    Objects.requireNonNull(sources, "sources");
    if (runs.isEmpty()) {
      throw new BadInputException("calibration needs at least one measured run");
    }
    List<Profile.LayerProfile> layers = layersInModelOrder(model, profile);
    // the columns: (kind, type) pairs the model has, in a fixed order
    List<LayerKind> kinds = new ArrayList<>();
    for (LayerKind k : LayerKind.values()) {
      for (LayerSpec l : model.layers()) {
        if (l.kind() == k) {
          kinds.add(k);
          break;
        }
      }
    }
    int columns = kinds.size() * FITTED_TYPES.size();
    boolean fused = true;
    for (MeasuredRun run : runs) {
      if (basis == TimeBasis.CPU && run.actionCpuNanos().isEmpty()) {
        throw new BadInputException(
            "the run of "
                + run.scheduleName()
                + " has no CPU times of its actions (written by an older pipeplan or imported);"
                + " calibrate it on wall time");
      }
      for (Timeline iteration : run.iterations()) {
        for (TimedAction a : iteration.actions()) {
          ActionType t = a.action().type();
          fused &= t != ActionType.I && t != ActionType.W;
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    int busyRuns = 0;
    for (int runIndex = 0; runIndex < runs.size(); runIndex++) {
      MeasuredRun run = runs.get(runIndex);
      checkRun(model, profile, run);
      boolean cpu = basis.usesCpu(run);
      busyRuns += basis == TimeBasis.QUIET_WALL && cpu ? 1 : 0;
      int[] stageStart = stageStarts(run, model);
      int b = run.microBatchSize();
      for (int it = 0; it < run.iterations().size(); it++) {
        Timeline iteration = run.iterations().get(it);
        for (int ai = 0; ai < iteration.actions().size(); ai++) {
          TimedAction a = iteration.actions().get(ai);
          long measuredNanos = cpu ? run.actionCpuNanos().get(it).get(ai) : a.durationNanos();
          int s = a.action().stage();
          if (s + 1 >= stageStart.length) {
            throw new BadInputException(
                "run of "
                    + run.scheduleName()
                    + " has an action on stage "
                    + s
                    + " but its partition "
                    + run.partition()
                    + " has "
                    + (stageStart.length - 1)
                    + " stages");
          }
          double[] x = new double[columns];
          for (int i = stageStart[s]; i < stageStart[s + 1]; i++) {
            int k = kinds.indexOf(model.layer(i).kind());
            Profile.LayerProfile lp = layers.get(i);
            ActionType t = a.action().type();
            if (t == ActionType.F) {
              x[column(k, 0)] += at(lp.forward(), b);
            }
            if (t == ActionType.I || t == ActionType.B) {
              x[column(k, 1)] += at(lp.backwardInput(), b);
            }
            if (t == ActionType.W || t == ActionType.B) {
              // with only fused backwards the runs cannot tell I from W: one factor for both
              x[column(k, fused ? 1 : 2)] += at(lp.backwardWeight(), b);
            }
          }
          if (sum(x) > 0 && measuredNanos > 0) {
            rows.add(
                new Row(
                    a.action().type(),
                    measuredNanos,
                    x,
                    runIndex + "/" + a.device() + "/" + a.action()));
          }
        }
      }
    }
    if (rows.isEmpty()) {
      throw new BadInputException(
          "the runs have no measured action with a profiled time; nothing to calibrate");
    }
    int[] counts = new int[columns];
    for (Row r : rows) {
      for (int c = 0; c < columns; c++) {
        if (r.x()[c] > 0) {
          counts[c]++;
        }
      }
    }
    double[] factors = new double[columns];
    Arrays.fill(factors, 1.0);
    double[] weights = new double[rows.size()];
    Arrays.fill(weights, 1.0);
    int iterations = 0;
    for (; iterations < MAX_ITERATIONS; iterations++) {
      double[] next = solve(rows, weights, counts);
      double change = 0;
      for (int c = 0; c < columns; c++) {
        change = Math.max(change, Math.abs(next[c] - factors[c]));
      }
      factors = next;
      huberWeights(rows, factors, weights);
      if (change < 1e-7) {
        break;
      }
    }
    if (fused) {
      for (int k = 0; k < kinds.size(); k++) {
        factors[column(k, 2)] = factors[column(k, 1)];
        counts[column(k, 2)] = counts[column(k, 1)];
      }
    }
    // The robust fit finds how the kinds and types differ, at the level of a typical action; the
    // level makes the fitted times add up to what the actions took (each at its median).
    double level = level(rows, factors);
    for (int c = 0; c < columns; c++) {
      if (counts[c] > 0) {
        factors[c] *= level;
      }
    }
    int downWeighted = 0;
    for (double w : weights) {
      if (w < 1) {
        downWeighted++;
      }
    }
    List<Term> terms = new ArrayList<>();
    for (int k = 0; k < kinds.size(); k++) {
      for (int t = 0; t < FITTED_TYPES.size(); t++) {
        int c = column(k, t);
        if (counts[c] == 0) {
          continue;
        }
        if (!(factors[c] >= MIN_FACTOR && factors[c] <= MAX_FACTOR)) {
          throw new BadInputException(
              String.format(
                  java.util.Locale.ROOT,
                  "the fitted %s factor of %s layers is %.3g, outside %.2f..%.0f: the run and the profile"
                      + " do not describe the same machine or model. Maybe profile again.",
                  FITTED_TYPES.get(t),
                  kinds.get(k).id(),
                  factors[c],
                  MIN_FACTOR,
                  MAX_FACTOR));
        }
        terms.add(new Term(kinds.get(k), FITTED_TYPES.get(t), factors[c], counts[c]));
      }
    }
    double[] ones = new double[columns];
    Arrays.fill(ones, 1.0);
    HandoffFit handoff = HandoffFit.of(profile, runs);
    return new Result(
        basis,
        runs.size(),
        busyRuns,
        fused,
        apply(model, profile, layers, terms, handoff, sources),
        terms,
        rows.size(),
        downWeighted,
        iterations + 1,
        residuals(rows, ones),
        residuals(rows, factors),
        level,
        handoff,
        ActionJitter.of(runs));
  }

  private static int column(int kindIndex, int typeIndex) {
    return kindIndex * FITTED_TYPES.size() + typeIndex;
  }

  private static double at(Profile.LinearFit fit, int b) {
    return Math.max(0, fit.fixedNanos() + fit.perSampleNanos() * b);
  }

  private static double sum(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s;
  }

  /**
   * Weighted least squares of measured on profiled times, each row divided by its measured time.
   * Each factor is an action type's shared factor plus its kind's own deviation: {@code c(kind,
   * type) = g(type) + d(kind, type)}; a ridge row per deviation pulls it to 0, so the kinds share
   * their type's factor unless the runs tell them apart, and a weaker one pulls each shared factor
   * to 1. Columns without data stay at 1.
   */
  private static double[] solve(List<Row> rows, double[] weights, int[] counts) {
    int columns = counts.length;
    int types = FITTED_TYPES.size();
    // unknowns: g(type) for each type with data, then d(column) for each column with data
    int[] shared = new int[types];
    int n = 0;
    for (int t = 0; t < types; t++) {
      shared[t] = -1;
      for (int c = t; c < columns; c += types) {
        if (counts[c] > 0) {
          shared[t] = n++;
          break;
        }
      }
    }
    int[] own = new int[columns];
    int deviations = 0;
    for (int c = 0; c < columns; c++) {
      own[c] = counts[c] > 0 ? n + deviations++ : -1;
    }
    int unknowns = n + deviations;
    double ridge = Math.sqrt(RIDGE_SHARE * rows.size());
    double[][] a = new double[rows.size() + unknowns][unknowns];
    double[] y = new double[rows.size() + unknowns];
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      double scale = Math.sqrt(weights[i]) / r.measuredNanos();
      for (int c = 0; c < columns; c++) {
        if (own[c] >= 0) {
          a[i][shared[c % types]] += r.x()[c] * scale;
          a[i][own[c]] = r.x()[c] * scale;
        }
      }
      y[i] = r.measuredNanos() * scale;
    }
    for (int c = 0; c < columns; c++) {
      if (own[c] >= 0) {
        a[rows.size() + own[c]][own[c]] = ridge;
      }
    }
    // a weaker pull of each shared factor to 1 decides what the runs cannot: I against W when
    // every backward ran fused (B)
    for (int t = 0; t < types; t++) {
      if (shared[t] >= 0) {
        a[rows.size() + shared[t]][shared[t]] = ridge * SHARED_RIDGE_SHARE;
        y[rows.size() + shared[t]] = ridge * SHARED_RIDGE_SHARE;
      }
    }
    RealVector solution =
        new QRDecomposition(new Array2DRowRealMatrix(a, false))
            .getSolver()
            .solve(new ArrayRealVector(y, false));
    double[] factors = new double[columns];
    for (int c = 0; c < columns; c++) {
      factors[c] =
          own[c] >= 0 ? solution.getEntry(shared[c % types]) + solution.getEntry(own[c]) : 1.0;
    }
    return factors;
  }

  /**
   * Huber weights of the relative residuals, scaled by their median absolute deviation (a floor of
   * 0.1% keeps an exact fit from dividing by zero).
   */
  private static void huberWeights(List<Row> rows, double[] factors, double[] weights) {
    double[] r = new double[rows.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = relativeResidual(rows.get(i), factors);
    }
    double[] abs = new double[r.length];
    for (int i = 0; i < r.length; i++) {
      abs[i] = Math.abs(r[i]);
    }
    Arrays.sort(abs);
    double sigma = Math.max(1e-3, 1.4826 * abs[(abs.length - 1) / 2]);
    for (int i = 0; i < r.length; i++) {
      double u = Math.abs(r[i]) / (HUBER_K * sigma);
      weights[i] = u <= 1 ? 1.0 : 1.0 / u;
    }
  }

  /** (measured - fitted) over measured. */
  private static double relativeResidual(Row row, double[] factors) {
    return (row.measuredNanos() - fitted(row, factors)) / row.measuredNanos();
  }

  private static double fitted(Row row, double[] factors) {
    double fitted = 0;
    for (int c = 0; c < factors.length; c++) {
      fitted += factors[c] * row.x()[c];
    }
    return fitted;
  }

  /**
   * The level of the fit: over every action of every run, its median measured time across the
   * iterations, summed, over its fitted time, summed: the total the comparison's per-action
   * durations (each action's median over the iterations) add up to.
   */
  private static double level(List<Row> rows, double[] factors) {
    Map<String, List<Double>> measured = new TreeMap<>();
    Map<String, Double> fitted = new TreeMap<>();
    for (Row r : rows) {
      measured.computeIfAbsent(r.action(), k -> new ArrayList<>()).add(r.measuredNanos());
      fitted.put(r.action(), fitted(r, factors));
    }
    double m = 0;
    double f = 0;
    for (Map.Entry<String, List<Double>> e : measured.entrySet()) {
      double[] times = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
      m += StatUtils.percentile(times, 50);
      f += fitted.get(e.getKey());
    }
    return f > 0 ? m / f : 1.0;
  }

  private static Residuals residuals(List<Row> rows, double[] factors) {
    double[] abs = new double[rows.size()];
    Map<ActionType, List<Double>> byType = new TreeMap<>();
    for (int i = 0; i < abs.length; i++) {
      Row row = rows.get(i);
      double predicted = 0;
      for (int c = 0; c < factors.length; c++) {
        predicted += factors[c] * row.x()[c];
      }
      double error = (predicted - row.measuredNanos()) / row.measuredNanos();
      abs[i] = Math.abs(error);
      byType.computeIfAbsent(row.type(), t -> new ArrayList<>()).add(error);
    }
    Arrays.sort(abs);
    Map<ActionType, Double> signed = new TreeMap<>();
    for (Map.Entry<ActionType, List<Double>> e : byType.entrySet()) {
      double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
      signed.put(e.getKey(), v[(v.length - 1) / 2]);
    }
    return new Residuals(percentile(abs, 0.5), percentile(abs, 0.9), signed);
  }

  /** Nearest rank: the smallest value with at least {@code fraction} of the values at or below. */
  static double percentile(double[] sorted, double fraction) {
    int rank = (int) Math.ceil(fraction * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /**
   * The profile with each layer's times scaled by its kind's factors, composed with any earlier.
   */
  private static Profile apply(
      ModelSpec model,
      Profile profile,
      List<Profile.LayerProfile> layers,
      List<Term> terms,
      HandoffFit handoff,
      String sources) {
    Map<String, Double> factor = new HashMap<>();
    for (Term t : terms) {
      factor.put(t.kind().id() + "/" + t.type(), t.factor());
    }
    List<Profile.LayerProfile> scaled = new ArrayList<>(layers.size());
    for (int i = 0; i < layers.size(); i++) {
      Profile.LayerProfile lp = layers.get(i);
      String kind = model.layer(i).kind().id();
      double f = factor.getOrDefault(kind + "/F", 1.0);
      double in = factor.getOrDefault(kind + "/I", 1.0);
      double w = factor.getOrDefault(kind + "/W", 1.0);
      List<MeasuredTimes> samples = new ArrayList<>();
      for (MeasuredTimes m : lp.samples()) {
        samples.add(
            new MeasuredTimes(
                m.microBatchSize(),
                Math.round(m.forwardNanos() * f),
                Math.round(m.backwardInputNanos() * in),
                Math.round(m.backwardWeightNanos() * w)));
      }
      scaled.add(
          new Profile.LayerProfile(
              lp.layerName(),
              samples,
              scale(lp.forward(), f),
              scale(lp.backwardInput(), in),
              scale(lp.backwardWeight(), w)));
    }
    // compose with the corrections the profile already carries
    Map<String, Profile.Correction> corrections = new TreeMap<>();
    for (Profile.Correction c : profile.calibration()) {
      corrections.put(c.layerKind() + "/" + c.action(), c);
    }
    for (Term t : terms) {
      compose(corrections, t.kind().id(), t.type().name(), t.factor(), t.actionCount(), sources);
    }
    if (handoff.fitted()) {
      compose(
          corrections, HANDOFF_CORRECTION, "latency", handoff.factor(), handoff.waits(), sources);
    }
    return new Profile(
        profile.modelName(),
        profile.backend(),
        profile.machine(),
        scaled,
        handoff.latencyNanos(),
        profile.handoffBytesPerSecond(),
        profile.repeatability(),
        new ArrayList<>(corrections.values()),
        profile.sequenceLength());
  }

  /**
   * The correction entry of a fitted hand-off latency: its "action" is {@code latency}, its factor
   * the measured latency over the profiled one.
   */
  public static final String HANDOFF_CORRECTION = "handoff";

  /** Records {@code factor} under (kind, action), composed with a correction already there. */
  private static void compose(
      Map<String, Profile.Correction> corrections,
      String kind,
      String action,
      double factor,
      int count,
      String sources) {
    String key = kind + "/" + action;
    Profile.Correction earlier = corrections.get(key);
    corrections.put(
        key,
        new Profile.Correction(
            kind,
            action,
            earlier == null ? factor : earlier.factor() * factor,
            (earlier == null ? 0 : earlier.actionCount()) + count,
            earlier == null ? sources : earlier.source() + "; " + sources));
  }

  private static Profile.LinearFit scale(Profile.LinearFit fit, double factor) {
    return new Profile.LinearFit(fit.fixedNanos() * factor, fit.perSampleNanos() * factor);
  }

  /**
   * The profile's layers in the model's order, matched by name; refuses a profile of another model.
   */
  private static List<Profile.LayerProfile> layersInModelOrder(ModelSpec model, Profile profile) {
    if (!profile.modelName().equals(model.name())) {
      throw new BadInputException(
          "the profile is of model '"
              + profile.modelName()
              + "' but the run is of model '"
              + model.name()
              + "'. Maybe give the profile the run was planned with.");
    }
    Map<String, Profile.LayerProfile> byName = new HashMap<>();
    for (Profile.LayerProfile lp : profile.layers()) {
      byName.put(lp.layerName(), lp);
    }
    List<Profile.LayerProfile> ordered = new ArrayList<>(model.layerCount());
    for (LayerSpec l : model.layers()) {
      Profile.LayerProfile lp = byName.get(l.name());
      if (lp == null) {
        throw new BadInputException(
            "the profile of '"
                + profile.modelName()
                + "' has no layer '"
                + l.name()
                + "' of the run's model. Maybe profile this model again.");
      }
      ordered.add(lp);
    }
    if (profile.layers().size() != model.layerCount()) {
      throw new BadInputException(
          "the profile has "
              + profile.layers().size()
              + " layers but model '"
              + model.name()
              + "' has "
              + model.layerCount()
              + ". Maybe profile this model again.");
    }
    return ordered;
  }

  private static void checkRun(ModelSpec model, Profile profile, MeasuredRun run) {
    if (!run.modelName().equals(model.name())) {
      throw new BadInputException(
          "the runs are of different models: '"
              + run.modelName()
              + "' and '"
              + model.name()
              + "'; calibrate from runs of one model");
    }
    if (run.sequenceLength() > 0
        && profile.sequenceLength() > 0
        && run.sequenceLength() != profile.sequenceLength()) {
      throw new BadInputException(
          "the run trained at sequence length "
              + run.sequenceLength()
              + " but the profile was measured at "
              + profile.sequenceLength()
              + "; calibrate a profile from runs at its own length (profile again with --seq "
              + run.sequenceLength()
              + ")");
    }
    if (!run.backend().equals(profile.backend())) {
      throw new BadInputException(
          "the run ran on backend '"
              + run.backend()
              + "' but the profile was measured on '"
              + profile.backend()
              + "'; calibrate a profile from runs on its own backend");
    }
  }

  /** Index of each global stage's first layer, and the layer count at the end. */
  private static int[] stageStarts(MeasuredRun run, ModelSpec model) {
    String[] parts = run.partition().split(",");
    int[] starts = new int[parts.length + 1];
    for (int s = 0; s < parts.length; s++) {
      int count;
      try {
        count = Integer.parseInt(parts[s].trim());
      } catch (NumberFormatException e) {
        throw new BadInputException(
            "run partition '" + run.partition() + "' must be layer counts such as 5,5");
      }
      if (count <= 0) {
        throw new BadInputException(
            "run partition '" + run.partition() + "' has a stage of " + count + " layers");
      }
      starts[s + 1] = starts[s] + count;
    }
    if (starts[parts.length] != model.layerCount()) {
      throw new BadInputException(
          "run partition "
              + run.partition()
              + " covers "
              + starts[parts.length]
              + " layers but model '"
              + model.name()
              + "' has "
              + model.layerCount());
    }
    return starts;
  }
}
