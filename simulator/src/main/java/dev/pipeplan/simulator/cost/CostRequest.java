package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.Checks;
import dev.pipeplan.simulator.schedule.Partition;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a cost model is asked to price: a partition of the model into global virtual stages, where
 * each stage runs, and the micro-batch size.
 *
 * @param partition the layers of each global virtual stage
 * @param microBatchSize b, samples per micro-batch
 * @param stageToDevice for each global virtual stage, its pipeline device (a schedule's stage map)
 * @param clusterDevices for each pipeline device, the first cluster device of its tensor-parallel
 *     group (the group is {@code tensorParallel} consecutive cluster devices)
 * @param tensorParallel t, the tensor-parallel degree inside each pipeline device
 * @param dataParallel dp, the number of replicas of the pipeline; on each pipeline device replica
 *     r's devices start r·tp·cp cluster devices after replica 0's (Megatron's tp-cp-dp-pp order),
 *     where the context-parallel ring's link is read from
 * @param contextParallel cp, the ranks that split each sequence of a micro-batch (context
 *     parallelism: every rank holds s/cp tokens and exchanges keys and values in attention); a
 *     sharded optimizer (ZeRO) shards over the dp·cp ranks that hold the same weights
 */
public record CostRequest(
    Partition partition,
    int microBatchSize,
    List<Integer> stageToDevice,
    List<Integer> clusterDevices,
    int tensorParallel,
    int dataParallel,
    int contextParallel) {

  public CostRequest {
    Objects.requireNonNull(partition, "partition");
    Checks.positive("micro-batch size", microBatchSize);
    stageToDevice = List.copyOf(Objects.requireNonNull(stageToDevice, "stageToDevice"));
    clusterDevices = List.copyOf(Objects.requireNonNull(clusterDevices, "clusterDevices"));
    Checks.positive("tensor-parallel degree", tensorParallel);
    Checks.positive("data-parallel degree", dataParallel);
    Checks.positive("context-parallel degree", contextParallel);
    if (stageToDevice.size() != partition.stageCount()) {
      throw new BadInputException(
          "the partition has "
              + partition.stageCount()
              + " stages but the stage map has "
              + stageToDevice.size()
              + " (p*v). Maybe give --partition with "
              + stageToDevice.size()
              + " layer counts.");
    }
    for (int s = 0; s < stageToDevice.size(); s++) {
      int d = stageToDevice.get(s);
      if (d < 0 || d >= clusterDevices.size()) {
        throw new BadInputException(
            "stage "
                + s
                + " is mapped to pipeline device "
                + d
                + ", outside 0.."
                + (clusterDevices.size() - 1));
      }
    }
    for (int d = 0; d < clusterDevices.size(); d++) {
      Checks.nonNegative("cluster device of pipeline device " + d, clusterDevices.get(d));
    }
  }

  /** No context parallelism (cp = 1). */
  public CostRequest(
      Partition partition,
      int microBatchSize,
      List<Integer> stageToDevice,
      List<Integer> clusterDevices,
      int tensorParallel,
      int dataParallel) {
    this(partition, microBatchSize, stageToDevice, clusterDevices, tensorParallel, dataParallel, 1);
  }

  /** One replica of the pipeline (dp = 1). */
  public CostRequest(
      Partition partition,
      int microBatchSize,
      List<Integer> stageToDevice,
      List<Integer> clusterDevices,
      int tensorParallel) {
    this(partition, microBatchSize, stageToDevice, clusterDevices, tensorParallel, 1);
  }

  /** A copy for another data-parallel degree. */
  public CostRequest withDataParallel(int newDataParallel) {
    return new CostRequest(
        partition,
        microBatchSize,
        stageToDevice,
        clusterDevices,
        tensorParallel,
        newDataParallel,
        contextParallel);
  }

  /** Pipeline device d on cluster device d, no tensor parallelism, the schedule's stage map. */
  public static CostRequest of(Partition partition, int microBatchSize, Schedule schedule) {
    return new CostRequest(
        partition, microBatchSize, schedule.stageToDevice(), identity(schedule.deviceCount()), 1);
  }

  /** Pipeline device d on cluster devices d*t .. d*t+t-1, the schedule's stage map. */
  public static CostRequest of(
      Partition partition, int microBatchSize, Schedule schedule, int tensorParallel) {
    List<Integer> devices = new ArrayList<>(schedule.deviceCount());
    for (int d = 0; d < schedule.deviceCount(); d++) {
      devices.add(d * tensorParallel);
    }
    return new CostRequest(
        partition, microBatchSize, schedule.stageToDevice(), devices, tensorParallel);
  }

  public int stageCount() {
    return stageToDevice.size();
  }

  public int deviceCount() {
    return clusterDevices.size();
  }

  /** The first cluster device of the tensor-parallel group that runs a stage. */
  public int clusterDeviceOfStage(int stage) {
    return clusterDevices.get(stageToDevice.get(stage));
  }

  private static List<Integer> identity(int n) {
    List<Integer> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(i);
    }
    return list;
  }
}
