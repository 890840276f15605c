package dev.pipeplan.executor.core.runtime;

import dev.pipeplan.simulator.compare.RunNoise;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.List;
import java.util.Objects;

/**
 * One iteration as it ran.
 *
 * @param iteration the iteration's index
 * @param timeline every action's measured start and end, from the iteration's start
 * @param actionCpuNanos the thread CPU time of each action, in the timeline's action order
 * @param loss the training loss of the iteration's batch (the sum of its micro-batches' scaled
 *     losses)
 * @param optimizerStepNanos per device, how long its optimizer step took (0 when no step was taken)
 * @param workerTimes per device, the wall and thread CPU time of its actions
 */
public record IterationResult(
    int iteration,
    Timeline timeline,
    List<Long> actionCpuNanos,
    double loss,
    List<Long> optimizerStepNanos,
    List<RunNoise.WorkerTime> workerTimes) {
  public IterationResult {
    Objects.requireNonNull(timeline, "timeline");
    actionCpuNanos = List.copyOf(Objects.requireNonNull(actionCpuNanos, "actionCpuNanos"));
    workerTimes = List.copyOf(Objects.requireNonNull(workerTimes, "workerTimes"));
    optimizerStepNanos =
        List.copyOf(Objects.requireNonNull(optimizerStepNanos, "optimizerStepNanos"));
  }
}
