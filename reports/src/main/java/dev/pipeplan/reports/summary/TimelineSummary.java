package dev.pipeplan.reports.summary;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.timeline.MemoryPoint;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Numbers read off one timeline, predicted or measured alike.
 *
 * @param iterationNanos first start to last end
 * @param bubbleRatio 1 - busy / (devices * iteration time); 0 for an empty timeline
 * @param microBatchCount one more than the largest micro-batch index
 * @param stageCount one more than the largest stage index
 * @param devices one entry per device, in device order
 */
public record TimelineSummary(
    long iterationNanos,
    double bubbleRatio,
    int microBatchCount,
    int stageCount,
    List<DeviceSummary> devices) {

  public TimelineSummary {
    devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
  }

  public static TimelineSummary of(Timeline timeline) {
    Objects.requireNonNull(timeline, "timeline");
    int p = timeline.deviceCount();
    long[] busy = new long[p];
    int[] count = new int[p];
    long[] peak = new long[p];
    List<TreeSet<Integer>> stages = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      stages.add(new TreeSet<>());
    }
    int microBatches = 0;
    int stageCount = 0;
    long totalBusy = 0;
    for (TimedAction a : timeline.actions()) {
      checkDevice(timeline, a.device());
      busy[a.device()] += a.durationNanos();
      totalBusy += a.durationNanos();
      count[a.device()]++;
      stages.get(a.device()).add(a.action().stage());
      microBatches = Math.max(microBatches, a.action().microBatch() + 1);
      stageCount = Math.max(stageCount, a.action().stage() + 1);
    }
    for (MemoryPoint m : timeline.memory()) {
      checkDevice(timeline, m.device());
      peak[m.device()] = Math.max(peak[m.device()], m.bytes());
    }
    List<DeviceSummary> devices = new ArrayList<>(p);
    for (int d = 0; d < p; d++) {
      devices.add(new DeviceSummary(d, busy[d], count[d], peak[d], new ArrayList<>(stages.get(d))));
    }
    long iteration = timeline.makespanNanos();
    double bubble = iteration == 0 ? 0.0 : 1.0 - (double) totalBusy / ((double) p * iteration);
    return new TimelineSummary(iteration, bubble, microBatches, stageCount, devices);
  }

  public long busyNanos() {
    long n = 0;
    for (DeviceSummary d : devices) {
      n += d.busyNanos();
    }
    return n;
  }

  public long peakMemoryBytes() {
    long n = 0;
    for (DeviceSummary d : devices) {
      n = Math.max(n, d.peakMemoryBytes());
    }
    return n;
  }

  private static void checkDevice(Timeline timeline, int device) {
    if (device >= timeline.deviceCount()) {
      throw new BadInputException(
          "timeline '"
              + timeline.scheduleName()
              + "' has "
              + timeline.deviceCount()
              + " devices but an entry on device "
              + device);
    }
  }
}
