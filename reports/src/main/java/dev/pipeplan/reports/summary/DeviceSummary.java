package dev.pipeplan.reports.summary;

import java.util.List;
import java.util.Objects;

/**
 * What one device did in a timeline.
 *
 * @param device the pipeline device
 * @param busyNanos the sum of its actions' durations
 * @param actionCount how many actions it ran
 * @param peakMemoryBytes the highest memory level recorded for it (0 where the timeline has no
 *     memory points)
 * @param stages the global virtual stages it ran actions of, ascending
 */
public record DeviceSummary(
    int device, long busyNanos, int actionCount, long peakMemoryBytes, List<Integer> stages) {
  public DeviceSummary {
    stages = List.copyOf(Objects.requireNonNull(stages, "stages"));
  }
}
