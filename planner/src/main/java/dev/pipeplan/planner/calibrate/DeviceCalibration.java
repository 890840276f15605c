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

  /** Candidates a search keeps for a run with its own block split (one per v, in practice). */
  private static final int KEPT_CANDIDATES = 64;

  private static final double STEP = 1e-3;
  private static final int PARAMETERS = 3;

  private DeviceCalibration() {}

  /**
   * One run before and after the fit.
   *
   * @param chosenVirtualStages the v the prediction used
   */
  public record Row(
      TrainingRun run,
      double priorSeconds,
      double fittedSeconds,
      int chosenVirtualStages,
      int microBatches) {
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
    List<TrainingRun> runs = runsOf(allRuns, device);
    if (runs.isEmpty()) {
      throw new BadInputException(
          "no measured run used device '"
              + device
              + "'; the runs used "
              + String.join(", ", new TreeSet<>(devices(allRuns))));
    }
    RooflineParameters priorParameters = RooflineParameters.prior(device);
    DeviceEfficiency prior = priorParameters.efficiency();
    double backwardRatio = prior.flashBackwardEfficiency() / prior.flashForwardEfficiency();
    double[] start = {
      Math.log(prior.peakGemmEfficiency()),
      Math.log(prior.hbmEfficiency()),
      Math.log(prior.flashForwardEfficiency())
    };

    // Under the prior: each run's v (when the source leaves it open) and m, then held.
    int[] virtualStages = new int[runs.size()];
    int[] microBatches = new int[runs.size()];
    double[] priorSeconds = new double[runs.size()];
    for (int i = 0; i < runs.size(); i++) {
      Evaluation e = predict(runs.get(i), prior, runs.get(i).virtualStages());
      virtualStages[i] = e.candidate().virtualStages();
      microBatches[i] = e.candidate().microBatchCount();
      priorSeconds[i] = e.iterationNanos() / 1e9;
    }

    Map<String, double[]> cache = new LinkedHashMap<>();
    int[] evaluations = {0};
    MultivariateJacobianFunction model =
        point -> {
          double[] u = point.toArray();
          double[] r0 = residuals(runs, u, start, backwardRatio, virtualStages, cache, evaluations);
          double[][] jacobian = new double[r0.length][PARAMETERS];
          for (int k = 0; k < PARAMETERS; k++) {
            double[] shifted = u.clone();
            shifted[k] += STEP;
            double[] rk =
                residuals(runs, shifted, start, backwardRatio, virtualStages, cache, evaluations);
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
      Evaluation e = predict(runs.get(i), fitted, OptionalInt.of(virtualStages[i]));
      rows.add(
          new Row(
              runs.get(i),
              priorSeconds[i],
              e.iterationNanos() / 1e9,
              virtualStages[i],
              microBatches[i]));
    }
    return new Fit(device, prior, fitted, rows, optimum.getIterations(), evaluations[0]);
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
      // The held-out run keeps the v the whole fit chose for it under the prior.
      int v = fit.rows().get(i).chosenVirtualStages();
      double seconds = predict(held, fitted, OptionalInt.of(v)).iterationNanos() / 1e9;
      errors.add(held.measuredIterationSeconds() / seconds - 1);
    }
    return errors;
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
      int[] virtualStages,
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
        seconds[i] =
            predict(runs.get(i), e, OptionalInt.of(virtualStages[i])).iterationNanos() / 1e9;
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

  /** Log-space parameters to efficiencies, each at most 1 and the backward at its prior ratio. */
  static DeviceEfficiency efficiency(double[] u, double backwardRatio, String source) {
    double g = Math.min(1, Math.exp(u[0]));
    double eta = Math.min(1, Math.exp(u[1]));
    double f = Math.min(1, Math.exp(u[2]));
    return new DeviceEfficiency(g, eta, f, Math.min(1, f * backwardRatio), source);
  }

  /** Plans exactly the run's configuration on its cluster priced with {@code efficiency}. */
  static Evaluation predict(TrainingRun run, DeviceEfficiency efficiency, OptionalInt v) {
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
            .withMicroBatchSize(run.microBatchSize())
            .withKinds(List.of(run.kind()))
            .withMemoryLimitBytes(LIFTED_MEMORY_BYTES)
            .withTop(run.stageBlocks().isPresent() ? KEPT_CANDIDATES : 1);
    if (v.isPresent()) {
      options = options.withVirtualStages(v.getAsInt());
    }
    try {
      SearchResult result =
          Planner.search(run.model(), run.training(), cluster, options, ProgressListener.none());
      if (run.stageBlocks().isEmpty()) {
        return result.ranked().get(0);
      }
      // The run's own split: every candidate the search kept, with the engine's partition.
      Evaluation best = null;
      for (Evaluation e : result.ranked()) {
        int chunks = run.pipelineParallel() * e.candidate().virtualStages();
        Partition partition = run.stageBlocks().get().partition(run.model(), chunks);
        Optional<Evaluation> own = result.evaluator().simulate(e.candidate(), partition);
        if (own.isPresent()
            && (best == null || own.get().iterationNanos() < best.iterationNanos())) {
          best = own.get();
        }
      }
      if (best == null) {
        throw new BadInputException(
            "no candidate can run the published block split " + run.stageBlocks().get());
      }
      return best;
    } catch (BadInputException e) {
      throw new BadInputException("run " + run.id() + ": " + e.getMessage());
    }
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
}
