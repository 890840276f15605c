package dev.pipeplan.planner.calibrate;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.ClusterSpec;
import dev.pipeplan.models.DeviceEfficiency;
import dev.pipeplan.models.DeviceGroup;
import dev.pipeplan.planner.search.Evaluation;
import dev.pipeplan.planner.search.Planner;
import dev.pipeplan.planner.search.ProgressListener;
import dev.pipeplan.planner.search.SearchOptions;
import dev.pipeplan.planner.search.SearchResult;
import dev.pipeplan.simulator.cost.roofline.RooflineParameters;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresBuilder;
import org.apache.commons.math3.fitting.leastsquares.LeastSquaresOptimizer;
import org.apache.commons.math3.fitting.leastsquares.LevenbergMarquardtOptimizer;
import org.apache.commons.math3.fitting.leastsquares.MultivariateJacobianFunction;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.RealVector;
import org.apache.commons.math3.util.Pair;

/**
 * Fits one device's efficiencies (the peak GEMM efficiency g, the memory-bandwidth efficiency η and
 * the fused-attention efficiency f; the attention backward keeps its prior ratio to the forward) to
 * measured runs, by Levenberg–Marquardt least squares (commons-math3) on
 *
 * <pre>
 *   Σ_runs ( ln(predicted / measured) / σ_run )²  +  Σ_parameters ( (ln θ − ln θ_prior) / σ )²
 * </pre>
 *
 * <p>The first sum is each run's relative error against the spread a published measurement has,
 * σ_run = {@value #RUN_SIGMA}; the second keeps a parameter that the runs do not constrain
 * (attention efficiency on runs with eager attention, say) at its microbenchmark prior ({@link
 * RooflineParameters#prior}) instead of letting it wander, with σ = {@value #PRIOR_SIGMA} (a prior
 * good to about ±25%). A parameter the runs do constrain follows the runs. Each prediction is a
 * planner search for exactly the run's configuration (tp, pp, b, schedule; v as stated, else
 * pipeplan's choice under the prior, then held), with the memory check lifted: the fit is about
 * time, a refused configuration is a memory-model error that {@code docs/validation.md} reports on
 * its own. Deterministic: the same runs give the same numbers.
 */
public final class DeviceCalibration {
  /** The prior's spread, in natural-log units. */
  public static final double PRIOR_SIGMA = 0.25;

  /**
   * A measured run's spread, in natural-log units: published throughput varies by a few percent
   * between runs of one configuration.
   */
  public static final double RUN_SIGMA = 0.05;

  /** Memory every run is predicted with, so that only time is fitted. */
  static final long LIFTED_MEMORY_BYTES = 64L << 40;

  /** The largest open v tried: one-layer chunks of a 256-layer stage, beyond any published run. */
  private static final int MAX_TRIED_V = 256;

  /** Candidates a search keeps for a run with its own block split (one per v, in practice). */
  private static final int KEPT_CANDIDATES = 64;

  /**
   * The lowest efficiency a fit may reach, 1% of the datasheet's number: below any training run's,
   * and a floor that keeps a run measured absurdly slow from driving the predicted times past the
   * simulator's range. A fit that ends on it (or on 1) says so ({@link Fit#warnings}).
   */
  public static final double MIN_EFFICIENCY = 0.01;

  /**
   * A run whose fitted prediction is off by more than this factor either way is named in the fit's
   * warnings: a typo in its time or configuration, not a spread a fit should absorb.
   */
  static final double FAR_OFF_FACTOR = 1.5;

  private static final double STEP = 1e-3;
  private static final int PARAMETERS = 3;

  private DeviceCalibration() {}

  /**
   * What a run's prediction holds fixed: the schedule, v and b, as published or, where the source
   * is silent, the fastest that fits in pipeplan's memory model under the prior (the run is taken
   * to have been tuned, as published benchmarks are).
   *
   * @param kind the schedule
   * @param virtualStages v
   * @param microBatchSize b
   */
  public record Choice(ScheduleKind kind, int virtualStages, int microBatchSize) {
    public Choice {
      Objects.requireNonNull(kind, "kind");
    }
  }

  /**
   * One run before and after the fit.
   *
   * @param choice the schedule, v and b the predictions used
   * @param fits whether the choice fits in pipeplan's memory model (predictions lift the check)
   */
  public record Row(
      TrainingRun run,
      double priorSeconds,
      double fittedSeconds,
      Choice choice,
      int microBatches,
      boolean fits) {
    /**
     * Measured over predicted time, minus one: the error of the predicted throughput, positive when
     * pipeplan is optimistic (the convention of docs/validation.md).
     */
    public double priorError() {
      return run.measuredIterationSeconds() / priorSeconds - 1;
    }

    /** As {@link #priorError}, with the fitted efficiencies. */
    public double fittedError() {
      return run.measuredIterationSeconds() / fittedSeconds - 1;
    }
  }

  /**
   * A device's fit.
   *
   * @param device the device's name
   * @param prior the microbenchmark efficiencies the fit started from
   * @param fitted the fitted efficiencies
   * @param rows every run of the device, in the file's order
   * @param iterations Levenberg–Marquardt iterations
   * @param evaluations predictions of all runs made
   */
  public record Fit(
      String device,
      DeviceEfficiency prior,
      DeviceEfficiency fitted,
      List<Row> rows,
      int iterations,
      int evaluations) {
    public Fit {
      rows = List.copyOf(rows);
    }

    public double priorMedianAbsError() {
      return median(rows.stream().mapToDouble(r -> Math.abs(r.priorError())).toArray());
    }

    public double fittedMedianAbsError() {
      return median(rows.stream().mapToDouble(r -> Math.abs(r.fittedError())).toArray());
    }

    public double fittedMaxAbsError() {
      return rows.stream().mapToDouble(r -> Math.abs(r.fittedError())).max().orElse(0);
    }

    /**
     * Where the fit cannot be trusted: an efficiency that ended on a bound (the runs asked for a
     * device faster than its datasheet or slower than {@link #MIN_EFFICIENCY}), and each run still
     * off by more than {@link #FAR_OFF_FACTOR} after the fit. Empty for a sound fit.
     */
    public List<String> warnings() {
      List<String> lines = new ArrayList<>();
      boundWarning(lines, "GEMM (of peak)", fitted.peakGemmEfficiency());
      boundWarning(lines, "HBM (of bandwidth)", fitted.hbmEfficiency());
      boundWarning(lines, "attention forward", fitted.flashForwardEfficiency());
      for (Row r : rows) {
        double ratio = r.fittedSeconds() / r.run().measuredIterationSeconds();
        if (ratio > FAR_OFF_FACTOR || ratio < 1 / FAR_OFF_FACTOR) {
          lines.add(
              String.format(
                  Locale.ROOT,
                  "run %s: predicted %.4g s after the fit, measured %.4g s, a factor of %.3g"
                      + " apart: check its iterationSeconds and configuration against its"
                      + " source, as it pulls every efficiency of the fit",
                  r.run().id(),
                  r.fittedSeconds(),
                  r.run().measuredIterationSeconds(),
                  Math.max(ratio, 1 / ratio)));
        }
      }
      return lines;
    }

    private static void boundWarning(List<String> lines, String name, double value) {
      if (value >= 1) {
        lines.add(
            name
                + " efficiency fitted to its upper bound 1.000 (the datasheet's number): the runs"
                + " ask for a faster device than its datasheet allows");
      } else if (value <= MIN_EFFICIENCY) {
        lines.add(
            String.format(
                Locale.ROOT,
                "%s efficiency fitted to its lower bound %.3f: the runs ask for a slower device"
                    + " than any training run has shown",
                name,
                MIN_EFFICIENCY));
      }
    }
  }

  /** The devices the runs used, in order of first use. */
  public static List<String> devices(List<TrainingRun> runs) {
    List<String> names = new ArrayList<>();
    for (TrainingRun r : runs) {
      if (!names.contains(r.deviceName())) {
        names.add(r.deviceName());
      }
    }
    return names;
  }

  /**
   * Fits the efficiencies of {@code device} to the runs that used it.
   *
   * @param source what the fitted numbers will say they come from
   * @throws BadInputException when no run used the device
   */
  public static Fit fit(List<TrainingRun> allRuns, String device, String source) {
    Objects.requireNonNull(device, "device");
    List<TrainingRun> runs = usedBy(allRuns, device);
    RooflineParameters priorParameters = RooflineParameters.prior(device);
    DeviceEfficiency prior = priorParameters.efficiency();
    double backwardRatio = prior.flashBackwardEfficiency() / prior.flashForwardEfficiency();
    double[] start = {
      Math.log(prior.peakGemmEfficiency()),
      Math.log(prior.hbmEfficiency()),
      Math.log(prior.flashForwardEfficiency())
    };

    // Under the prior: each run's open choices (schedule, v, b) and m, then held.
    Choice[] choices = new Choice[runs.size()];
    int[] microBatches = new int[runs.size()];
    boolean[] fits = new boolean[runs.size()];
    double[] priorSeconds = new double[runs.size()];
    for (int i = 0; i < runs.size(); i++) {
      Evaluation chosen = choose(runs.get(i), prior);
      choices[i] = choiceOf(chosen);
      fits[i] = chosen.fits();
      Evaluation e = predict(runs.get(i), prior, choices[i]);
      microBatches[i] = e.candidate().microBatchCount();
      priorSeconds[i] = e.iterationNanos() / 1e9;
    }

    Map<String, double[]> cache = new LinkedHashMap<>();
    int[] evaluations = {0};
    MultivariateJacobianFunction model =
        point -> {
          double[] u = point.toArray();
          double[] r0 = residuals(runs, u, start, backwardRatio, choices, cache, evaluations);
          double[][] jacobian = new double[r0.length][PARAMETERS];
          for (int k = 0; k < PARAMETERS; k++) {
            double[] shifted = u.clone();
            shifted[k] += STEP;
            double[] rk =
                residuals(runs, shifted, start, backwardRatio, choices, cache, evaluations);
            for (int i = 0; i < r0.length; i++) {
              jacobian[i][k] = (rk[i] - r0[i]) / STEP;
            }
          }
          return new Pair<>(new ArrayRealVector(r0), new Array2DRowRealMatrix(jacobian, false));
        };
    LeastSquaresOptimizer.Optimum optimum =
        new LevenbergMarquardtOptimizer()
            .optimize(
                new LeastSquaresBuilder()
                    .start(start)
                    .model(model)
                    .target(new double[runs.size() + PARAMETERS])
                    .maxEvaluations(200)
                    .maxIterations(50)
                    .build());
    RealVector best = optimum.getPoint();
    DeviceEfficiency fitted = efficiency(best.toArray(), backwardRatio, source);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      Evaluation e = predict(runs.get(i), fitted, choices[i]);
      rows.add(
          new Row(
              runs.get(i),
              priorSeconds[i],
              e.iterationNanos() / 1e9,
              choices[i],
              microBatches[i],
              fits[i]));
    }
    return new Fit(device, prior, fitted, rows, optimum.getIterations(), evaluations[0]);
  }

  /**
   * One run predicted with the device's efficiencies as they are, nothing fitted: the independent
   * check.
   *
   * @param choice the schedule, v and b the prediction used
   * @param fits whether the choice fits in pipeplan's memory model (the prediction lifts the check)
   */
  public record Prediction(
      TrainingRun run, double seconds, Choice choice, int microBatches, boolean fits) {
    /** Measured over predicted time, minus one (the convention of {@link Row#fittedError}). */
    public double error() {
      return run.measuredIterationSeconds() / seconds - 1;
    }
  }

  /**
   * Predicts every run of {@code device} with the efficiencies its cluster gives it now (the
   * preset's fitted ones, or a cluster file's), fitting nothing: how pipeplan does on runs kept out
   * of its calibration.
   *
   * @throws BadInputException when no run used the device
   */
  public static List<Prediction> check(List<TrainingRun> allRuns, String device) {
    List<TrainingRun> runs = usedBy(allRuns, device);
    List<Prediction> predictions = new ArrayList<>();
    for (TrainingRun run : runs) {
      DeviceEfficiency current =
          RooflineParameters.of(run.cluster().groups().get(0).device()).efficiency();
      Evaluation chosen = choose(run, current);
      Choice choice = choiceOf(chosen);
      Evaluation e = predict(run, current, choice);
      predictions.add(
          new Prediction(
              run,
              e.iterationNanos() / 1e9,
              choice,
              e.candidate().microBatchCount(),
              chosen.fits()));
    }
    return predictions;
  }

  /**
   * Each run of the device predicted by a fit to the device's other runs: the error a new run of
   * that kind would see, which the in-sample errors of {@link #fit} understate. Empty for a device
   * with one run.
   *
   * @return per row of {@code fit}, in order: measured over held-out-predicted seconds, minus one
   *     (the convention of {@link Row#fittedError})
   */
  public static List<Double> leaveOneOutErrors(Fit fit) {
    List<Double> errors = new ArrayList<>();
    if (fit.rows().size() < 2) {
      return errors;
    }
    List<TrainingRun> runs = new ArrayList<>();
    for (Row r : fit.rows()) {
      runs.add(r.run());
    }
    for (int i = 0; i < runs.size(); i++) {
      List<TrainingRun> others = new ArrayList<>(runs);
      TrainingRun held = others.remove(i);
      DeviceEfficiency fitted = fit(others, fit.device(), "leave-one-out").fitted();
      // The held-out run keeps the choices the whole fit made for it under the prior.
      double seconds = predict(held, fitted, fit.rows().get(i).choice()).iterationNanos() / 1e9;
      errors.add(held.measuredIterationSeconds() / seconds - 1);
    }
    return errors;
  }

  /** The runs that used {@code device}; bad input naming the devices used when there are none. */
  private static List<TrainingRun> usedBy(List<TrainingRun> allRuns, String device) {
    List<TrainingRun> runs = runsOf(allRuns, device);
    if (runs.isEmpty()) {
      throw new BadInputException(
          "no measured run used device '"
              + device
              + "'; the runs used "
              + String.join(", ", new TreeSet<>(devices(allRuns))));
    }
    return runs;
  }

  /** The runs that used {@code device}, in their order. */
  public static List<TrainingRun> runsOf(List<TrainingRun> runs, String device) {
    Objects.requireNonNull(runs, "runs");
    List<TrainingRun> of = new ArrayList<>();
    for (TrainingRun r : runs) {
      if (r.deviceName().equals(device)) {
        of.add(r);
      }
    }
    return of;
  }

  private static double[] residuals(
      List<TrainingRun> runs,
      double[] u,
      double[] start,
      double backwardRatio,
      Choice[] choices,
      Map<String, double[]> cache,
      int[] evaluations) {
    DeviceEfficiency e = efficiency(u, backwardRatio, "fit");
    String key =
        String.format(
            Locale.ROOT,
            "%.12f %.12f %.12f",
            e.peakGemmEfficiency(),
            e.hbmEfficiency(),
            e.flashForwardEfficiency());
    double[] seconds = cache.get(key);
    if (seconds == null) {
      evaluations[0]++;
      seconds = new double[runs.size()];
      for (int i = 0; i < runs.size(); i++) {
        seconds[i] = predict(runs.get(i), e, choices[i]).iterationNanos() / 1e9;
      }
      cache.put(key, seconds);
    }
    double[] r = new double[runs.size() + PARAMETERS];
    for (int i = 0; i < runs.size(); i++) {
      r[i] = Math.log(seconds[i] / runs.get(i).measuredIterationSeconds()) / RUN_SIGMA;
    }
    for (int k = 0; k < PARAMETERS; k++) {
      r[runs.size() + k] = (Math.min(u[k], 0) - start[k]) / PRIOR_SIGMA;
    }
    return r;
  }

  /**
   * Log-space parameters to efficiencies, each from {@link #MIN_EFFICIENCY} to 1, the backward at
   * its prior ratio.
   */
  static DeviceEfficiency efficiency(double[] u, double backwardRatio, String source) {
    double g = bounded(Math.exp(u[0]));
    double eta = bounded(Math.exp(u[1]));
    double f = bounded(Math.exp(u[2]));
    return new DeviceEfficiency(g, eta, f, bounded(f * backwardRatio), source);
  }

  private static double bounded(double efficiency) {
    return Math.max(MIN_EFFICIENCY, Math.min(1, efficiency));
  }

  /**
   * The run's configuration with its open choices made: each schedule it may have used, each v its
   * block split allows (or the search's own when it has no split) and each b, searched under the
   * prior with the device's memory; the fastest that fits. When none fits (pipeplan's memory model
   * refuses the published configuration; {@code docs/validation.md} reports those), the fastest
   * with the memory check lifted and, where b is open, b = 1.
   */
  static Evaluation choose(TrainingRun run, DeviceEfficiency prior) {
    Optional<Evaluation> best = Optional.empty();
    for (ScheduleKind kind : run.kinds()) {
      for (OptionalInt v : virtualStageChoices(run, kind)) {
        best = faster(best, search(run, prior, kind, v, run.microBatchSize(), false));
      }
    }
    if (best.isPresent()) {
      return best.get();
    }
    OptionalInt b = OptionalInt.of(run.microBatchSize().orElse(1));
    for (ScheduleKind kind : run.kinds()) {
      for (OptionalInt v : virtualStageChoices(run, kind)) {
        best = faster(best, search(run, prior, kind, v, b, true));
      }
    }
    return best.orElseThrow(
        () ->
            new BadInputException(
                "run " + run.id() + ": no candidate can run the published configuration"));
  }

  /** Predicts the run with its choices held, the memory check lifted (the fit is about time). */
  static Evaluation predict(TrainingRun run, DeviceEfficiency efficiency, Choice choice) {
    return search(
            run,
            efficiency,
            choice.kind(),
            OptionalInt.of(choice.virtualStages()),
            OptionalInt.of(choice.microBatchSize()),
            true)
        .orElseThrow(
            () ->
                new BadInputException(
                    "run " + run.id() + ": the search no longer finds its chosen configuration"));
  }

  private static Choice choiceOf(Evaluation e) {
    return new Choice(
        e.candidate().kind(), e.candidate().virtualStages(), e.candidate().microBatchSize());
  }

  private static Optional<Evaluation> faster(Optional<Evaluation> a, Optional<Evaluation> b) {
    if (a.isEmpty()) {
      return b;
    }
    if (b.isEmpty() || a.get().iterationNanos() <= b.get().iterationNanos()) {
      return a;
    }
    return b;
  }

  /**
   * The v to try for a kind: the published one (none for a kind of the run's list that cannot take
   * it: "1f1b,interleaved" with v = 4 was interleaved); else, for a kind that takes several and a
   * run with a block split, every v whose p·v chunks the split can fill (Megatron-LM's equal split
   * allows only the divisors); else the search's own choice (empty).
   */
  private static List<OptionalInt> virtualStageChoices(TrainingRun run, ScheduleKind kind) {
    if (run.virtualStages().isPresent()) {
      return kind.acceptsVirtualStages(run.virtualStages().getAsInt())
          ? List.of(run.virtualStages())
          : List.of();
    }
    if (run.stageBlocks().isEmpty() || kind.minVirtualStages() == kind.maxVirtualStages()) {
      return List.of(OptionalInt.empty());
    }
    List<OptionalInt> choices = new ArrayList<>();
    int pp = run.pipelineParallel();
    int most =
        Math.min(Math.min(kind.maxVirtualStages(), run.model().layerCount() / pp), MAX_TRIED_V);
    for (int v = kind.minVirtualStages(); v <= most; v++) {
      try {
        run.stageBlocks().get().partition(run.model(), pp * v);
        choices.add(OptionalInt.of(v));
      } catch (BadInputException unsplittable) {
        // the run's engine could not have run this v
      }
    }
    return choices;
  }

  /**
   * The fastest candidate of one kind (and v and b, where given) for the run's configuration on its
   * cluster priced with {@code efficiency}, with the run's own block split where it has one; with
   * {@code lifted} the memory check is lifted, else only candidates that fit count. Empty when none
   * does.
   */
  private static Optional<Evaluation> search(
      TrainingRun run,
      DeviceEfficiency efficiency,
      ScheduleKind kind,
      OptionalInt v,
      OptionalInt b,
      boolean lifted) {
    List<DeviceGroup> groups = new ArrayList<>();
    for (DeviceGroup g : run.cluster().groups()) {
      groups.add(
          new DeviceGroup(g.device().withEfficiency(efficiency), g.nodes(), g.devicesPerNode()));
    }
    ClusterSpec cluster =
        new ClusterSpec(
            run.cluster().name(),
            groups,
            run.cluster().intraNodeLink(),
            run.cluster().interNodeLink());
    SearchOptions options =
        SearchOptions.defaults()
            .withPp(run.pipelineParallel())
            .withTp(run.tensorParallel())
            .withContextParallel(run.contextParallel())
            .withKinds(List.of(kind))
            .withTop(KEPT_CANDIDATES);
    if (lifted) {
      options = options.withMemoryLimitBytes(LIFTED_MEMORY_BYTES);
    }
    if (b.isPresent()) {
      options = options.withMicroBatchSize(b.getAsInt());
    }
    if (v.isPresent()) {
      options = options.withVirtualStages(v.getAsInt());
    }
    SearchResult result;
    try {
      result =
          Planner.search(run.model(), run.training(), cluster, options, ProgressListener.none());
    } catch (BadInputException e) {
      if (lifted) {
        throw new BadInputException("run " + run.id() + ": " + inFileTerms(e.getMessage()));
      }
      return Optional.empty(); // nothing fits
    }
    Optional<Evaluation> best = Optional.empty();
    for (Evaluation e : result.ranked()) {
      Optional<Evaluation> own = Optional.of(e);
      if (run.stageBlocks().isPresent()) {
        int chunks = run.pipelineParallel() * e.candidate().virtualStages();
        try {
          Partition partition = run.stageBlocks().get().partition(run.model(), chunks);
          own = result.evaluator().simulate(e.candidate(), partition);
        } catch (BadInputException unsplittable) {
          continue;
        }
      }
      if (own.isPresent() && (lifted || own.get().fits())) {
        best = faster(best, own);
      }
    }
    return best;
  }

  /** The median of the values (0 for none). */
  public static double median(double[] values) {
    if (values.length == 0) {
      return 0;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** The plan command's options a search message names, and the runs-file fields they are. */
  private static final Map<String, String> RUN_FIELDS =
      Map.of(
          "--pp", "pp",
          "--tp", "tp",
          "--cp", "cp",
          "--virtual-stages", "virtualStages",
          "--microbatch-size", "microBatchSize",
          "--microbatches", "the micro-batch count (globalBatch / dp / microBatchSize)",
          "--global-batch", "globalBatch",
          "--schedules", "schedule");

  /** Any of {@link #RUN_FIELDS}' options, as a whole word. */
  private static final Pattern RUN_FIELD_OPTION =
      Pattern.compile(
          RUN_FIELDS.keySet().stream()
                  .sorted()
                  .map(Pattern::quote)
                  .collect(java.util.stream.Collectors.joining("|", "(", ")"))
              + "(?![\\w-])");

  /**
   * A search message in the terms of the runs file: the run gave fields, not command-line options
   * ("drop --virtual-stages" would send the reader to an option they never typed).
   */
  static String inFileTerms(String message) {
    // the search's advice is about options; a run's configuration is the published one
    int maybe = message.indexOf(" Maybe ");
    if (maybe >= 0) {
      message =
          message.substring(0, maybe)
              + " Check the run's tp, pp, cp, microBatchSize, globalBatch, sequenceLength, schedule"
              + " and virtualStages against its source.";
    }
    Matcher m = RUN_FIELD_OPTION.matcher(message);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(RUN_FIELDS.get(m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }
}
