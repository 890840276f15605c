package dev.pipeplan.cuda.runtime;

import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where each global virtual stage runs and which layers it holds: stage s holds layers {@code
 * partition.firstLayer(s) .. endLayer(s) - 1} and runs on pipeline device {@code
 * schedule.deviceOf(s)} (looped for interleaved schedules, V-shaped for ZB-V and friends).
 *
 * @param firstLayers per stage, its first layer
 * @param endLayers per stage, one past its last layer
 * @param devices per stage, its pipeline device
 * @param deviceCount pipeline devices
 */
public record StagePlacement(
    List<Integer> firstLayers, List<Integer> endLayers, List<Integer> devices, int deviceCount) {
  public StagePlacement {
    firstLayers = List.copyOf(firstLayers);
    endLayers = List.copyOf(endLayers);
    devices = List.copyOf(devices);
  }

  public static StagePlacement of(Schedule schedule, Partition partition) {
    Objects.requireNonNull(schedule, "schedule");
    Objects.requireNonNull(partition, "partition");
    partition.requireStagesOf(schedule);
    List<Integer> first = new ArrayList<>();
    List<Integer> end = new ArrayList<>();
    List<Integer> dev = new ArrayList<>();
    for (int s = 0; s < schedule.stageCount(); s++) {
      first.add(partition.firstLayer(s));
      end.add(partition.endLayer(s));
      dev.add(schedule.deviceOf(s));
    }
    return new StagePlacement(first, end, dev, schedule.deviceCount());
  }

  public int stageCount() {
    return devices.size();
  }

  /** The stages on a device, in stage order. */
  public List<Integer> stagesOf(int device) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < devices.size(); s++) {
      if (devices.get(s) == device) {
        out.add(s);
      }
    }
    return out;
  }
}
