package dev.pipeplan.simulator.traceimport;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Provenance;
import dev.pipeplan.simulator.compare.MeasuredRun;
import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import java.util.Objects;

/**
 * Measured iterations read from one run's traces.
 *
 * @param info what the traces say about the run
 * @param iterations one measured timeline per recorded iteration, times from that iteration's
 *     start, actions sorted by device then start
 * @param losses the loss of each iteration (0 where the traces carry none), same order as {@code
 *     iterations}
 * @param files the trace files read, in the order they were read
 */
public record ImportedTrace(
    TraceInfo info, List<Timeline> iterations, List<Double> losses, List<String> files) {
  public ImportedTrace {
    Objects.requireNonNull(info, "info");
    iterations = List.copyOf(Objects.requireNonNull(iterations, "iterations"));
    losses = List.copyOf(Objects.requireNonNull(losses, "losses"));
    files = List.copyOf(Objects.requireNonNull(files, "files"));
    if (iterations.isEmpty()) {
      throw new BadInputException("the traces " + files + " hold no measured iteration");
    }
    if (losses.size() != iterations.size()) {
      throw new IllegalArgumentException(
          losses.size() + " losses for " + iterations.size() + " iterations");
    }
  }

  /**
   * The iteration with the median iteration time, as {@link MeasuredRun#medianIteration} chooses
   * it.
   */
  public Timeline representative() {
    return iterations.get(MeasuredRun.medianIteration(iterations));
  }

  /**
   * The traces as a measured run of a plan, compared with the plan's predicted timeline. What the
   * traces know (schedule, p, v, m, b, partition, model) must agree with the plan.
   *
   * @throws BadInputException naming the first field where the traces and the plan disagree
   */
  public MeasuredRun toRun(Timeline predicted, RunShape plan) {
    Objects.requireNonNull(predicted, "predicted");
    Objects.requireNonNull(plan, "plan");
    agree("pipelineDevices", info.pipelineDevices(), plan.pipelineDevices());
    agree("virtualStages", info.virtualStages(), plan.virtualStages());
    agree("microBatchCount", info.microBatchCount(), plan.microBatchCount());
    agree("microBatchSize", info.microBatchSize(), plan.microBatchSize());
    agree("scheduleName", info.scheduleName(), plan.scheduleName());
    agree("partition", info.partition(), plan.partition());
    agree("modelName", info.modelName(), plan.modelName());
    return new MeasuredRun(
        plan.modelName(),
        plan.scheduleName(),
        plan.pipelineDevices(),
        plan.virtualStages(),
        plan.microBatchCount(),
        plan.microBatchSize(),
        plan.partition(),
        predicted,
        iterations,
        MeasuredRun.medianIteration(iterations),
        losses,
        info.warmupIterations(),
        info.backend(),
        info.machine(),
        info.threadSettings(),
        info.seed(),
        List.of(),
        RunNoise.unknown(),
        Provenance.unrecorded(),
        0);
  }

  private void agree(String field, long traced, long planned) {
    if (traced != 0 && traced != planned) {
      throw new BadInputException(
          "the traces ran "
              + field
              + " "
              + traced
              + " but the plan has "
              + planned
              + ". Maybe pass the plan the launcher was exported from.");
    }
  }

  private void agree(String field, String traced, String planned) {
    if (!traced.isEmpty() && !traced.equals(planned)) {
      throw new BadInputException(
          "the traces ran "
              + field
              + " '"
              + traced
              + "' but the plan has '"
              + planned
              + "'. Maybe pass the plan the launcher was exported from.");
    }
  }
}
