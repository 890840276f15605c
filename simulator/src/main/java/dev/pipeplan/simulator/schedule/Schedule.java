package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A pipeline schedule: for each of {@code deviceCount} devices, the ordered list of actions it runs
 * in one iteration, and the map from each global virtual stage to the device that owns it.
 * Communication is implied by the dependencies between actions (see {@code ScheduleValidator}).
 *
 * @param name the kind or file it came from ("1f1b", "custom.csv")
 * @param deviceCount p, the number of pipeline devices
 * @param microBatchCount m
 * @param stageToDevice for each global virtual stage, the device that runs it; its size is the
 *     stage count p*v
 * @param deviceActions for each device, its actions in execution order
 */
public record Schedule(
    String name,
    int deviceCount,
    int microBatchCount,
    List<Integer> stageToDevice,
    List<List<Action>> deviceActions) {

  public Schedule {
    Checks.nonBlank("schedule name", name);
    Checks.positive("deviceCount", deviceCount);
    Checks.positive("microBatchCount", microBatchCount);
    stageToDevice = List.copyOf(Objects.requireNonNull(stageToDevice, "stageToDevice"));
    for (int s = 0; s < stageToDevice.size(); s++) {
      int d = stageToDevice.get(s);
      if (d < 0 || d >= deviceCount) {
        throw new BadInputException(
            "stage " + s + " is placed on device " + d + ", outside 0.." + (deviceCount - 1));
      }
    }
    Objects.requireNonNull(deviceActions, "deviceActions");
    if (deviceActions.size() != deviceCount) {
      throw new BadInputException(
          "schedule '"
              + name
              + "' has action lists for "
              + deviceActions.size()
              + " devices, expected "
              + deviceCount);
    }
    List<List<Action>> copy = new ArrayList<>(deviceCount);
    for (List<Action> actions : deviceActions) {
      copy.add(List.copyOf(actions));
    }
    deviceActions = List.copyOf(copy);
  }

  public int stageCount() {
    return stageToDevice.size();
  }

  /** Virtual stages per device, v = stages / devices. */
  public int virtualStages() {
    return stageCount() / deviceCount;
  }

  public int deviceOf(int stage) {
    return stageToDevice.get(stage);
  }

  public int actionCount() {
    int n = 0;
    for (List<Action> actions : deviceActions) {
      n += actions.size();
    }
    return n;
  }

  /** Looped placement: stage s on device s mod p (GPipe, 1F1B, interleaved). */
  public static List<Integer> loopedPlacement(int deviceCount, int virtualStages) {
    List<Integer> map = new ArrayList<>(deviceCount * virtualStages);
    for (int s = 0; s < deviceCount * virtualStages; s++) {
      map.add(s % deviceCount);
    }
    return map;
  }

  /**
   * V-shaped placement with two chunks per device: stages 0..p-1 go down the devices and stages
   * p..2p-1 come back up, so device d owns stages d and 2p-1-d (ZB-V, V-Half, V-Min, DualPipeV).
   */
  public static List<Integer> vShapePlacement(int deviceCount) {
    List<Integer> map = new ArrayList<>(2 * deviceCount);
    for (int s = 0; s < 2 * deviceCount; s++) {
      map.add(s < deviceCount ? s : 2 * deviceCount - 1 - s);
    }
    return map;
  }
}
