package dev.pipeplan.planner.partition;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Partition;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * What a partitioner splits: per-layer work and memory for one micro-batch, the global virtual
 * stages with the pipeline device each runs on, each device's speed and memory limit, and how many
 * micro-batches each stage holds in flight under the chosen schedule. Arrays are copied in and
 * never handed out.
 *
 * <p>The time of stage s over layers [first, end) is {@code ceil(sum(layerNanos) /
 * speed(device(s)))}; its memory is {@code sum(staticBytes) + inFlight(s) * sum(activationBytes)}.
 * Every partitioner, the brute force and the MIP's check use these two functions, so their answers
 * compare exactly.
 */
public final class PartitionProblem {
  private final long[] layerNanos;
  private final long[] staticBytes;
  private final long[] activationBytes;
  private final int[] stageDevice;
  private final double[] deviceSpeed;
  private final long[] deviceMemoryBytes;
  private final int[] stageInFlight;
  private final long[] nanosPrefix;
  private final long[] staticPrefix;
  private final long[] activationPrefix;

  /**
   * {@code cutNanos[s][i]}: the round trip across the boundary between stages s and s + 1 when
   * stage s ends after layer i (layer i's output forward, its gradient back); all zero unless
   * given.
   */
  private final long[][] cutNanos;

  private PartitionProblem(
      long[] layerNanos,
      long[] staticBytes,
      long[] activationBytes,
      int[] stageDevice,
      double[] deviceSpeed,
      long[] deviceMemoryBytes,
      int[] stageInFlight,
      long[][] cutNanos) {
    int n = layerNanos.length;
    if (n == 0) {
      throw new BadInputException("partition problem has no layers");
    }
    if (staticBytes.length != n || activationBytes.length != n) {
      throw new IllegalArgumentException("per-layer arrays differ in length");
    }
    if (stageDevice.length == 0) {
      throw new BadInputException("partition problem has no stages");
    }
    if (stageDevice.length > n) {
      throw new BadInputException(
          "stage count ("
              + stageDevice.length
              + ") exceeds the layer count ("
              + n
              + "). Maybe use --pp "
              + n
              + " or fewer.");
    }
    if (stageInFlight.length != stageDevice.length) {
      throw new IllegalArgumentException("stageInFlight must have one entry per stage");
    }
    if (deviceSpeed.length != deviceMemoryBytes.length || deviceSpeed.length == 0) {
      throw new IllegalArgumentException(
          "deviceSpeed and deviceMemoryBytes must have one entry per device");
    }
    for (int s = 0; s < stageDevice.length; s++) {
      if (stageDevice[s] < 0 || stageDevice[s] >= deviceSpeed.length) {
        throw new IllegalArgumentException("stage " + s + " is on device " + stageDevice[s]);
      }
      if (stageInFlight[s] < 0) {
        throw new IllegalArgumentException("stage " + s + " in-flight count is negative");
      }
    }
    for (int d = 0; d < deviceSpeed.length; d++) {
      if (!(deviceSpeed[d] > 0) || Double.isInfinite(deviceSpeed[d])) {
        throw new IllegalArgumentException(
            "device " + d + " speed must be > 0, got " + deviceSpeed[d]);
      }
    }
    this.layerNanos = layerNanos.clone();
    this.staticBytes = staticBytes.clone();
    this.activationBytes = activationBytes.clone();
    this.stageDevice = stageDevice.clone();
    this.deviceSpeed = deviceSpeed.clone();
    this.deviceMemoryBytes = deviceMemoryBytes.clone();
    this.stageInFlight = stageInFlight.clone();
    this.nanosPrefix = prefix(layerNanos, "layerNanos");
    this.staticPrefix = prefix(staticBytes, "staticBytes");
    this.activationPrefix = prefix(activationBytes, "activationBytes");
    this.cutNanos = new long[Math.max(0, stageDevice.length - 1)][];
    for (int s = 0; s + 1 < stageDevice.length; s++) {
      if (cutNanos == null) {
        this.cutNanos[s] = new long[n];
        continue;
      }
      if (cutNanos.length != stageDevice.length - 1 || cutNanos[s].length != n) {
        throw new IllegalArgumentException("cutNanos must be (stages - 1) x layers");
      }
      for (int i = 0; i < n; i++) {
        if (cutNanos[s][i] < 0) {
          throw new IllegalArgumentException("cutNanos[" + s + "][" + i + "] is negative");
        }
      }
      this.cutNanos[s] = cutNanos[s].clone();
    }
  }

  /**
   * A problem with everything given.
   *
   * @param layerNanos per layer, the work of one micro-batch (F + I + W) on a device of speed 1
   * @param staticBytes per layer, weights, gradients and optimizer state
   * @param activationBytes per layer, activation bytes one micro-batch keeps until its backward
   * @param stageDevice per global virtual stage, its pipeline device
   * @param deviceSpeed per pipeline device, its speed relative to the reference (time = work /
   *     speed)
   * @param deviceMemoryBytes per pipeline device, its memory limit
   * @param stageInFlight per stage, the micro-batches whose activations it holds at its peak
   */
  public static PartitionProblem of(
      long[] layerNanos,
      long[] staticBytes,
      long[] activationBytes,
      int[] stageDevice,
      double[] deviceSpeed,
      long[] deviceMemoryBytes,
      int[] stageInFlight) {
    return new PartitionProblem(
        Objects.requireNonNull(layerNanos, "layerNanos"),
        Objects.requireNonNull(staticBytes, "staticBytes"),
        Objects.requireNonNull(activationBytes, "activationBytes"),
        Objects.requireNonNull(stageDevice, "stageDevice"),
        Objects.requireNonNull(deviceSpeed, "deviceSpeed"),
        Objects.requireNonNull(deviceMemoryBytes, "deviceMemoryBytes"),
        Objects.requireNonNull(stageInFlight, "stageInFlight"),
        null);
  }

  /**
   * This problem with communication: {@code cutNanos[s][i]} is the round trip (activation forward,
   * gradient back) across the boundary between stages s and s + 1 when stage s ends after layer i.
   * Only the schedule-aware partitioners read it; the min-max DP does not.
   */
  public PartitionProblem withCutNanos(long[][] cutNanos) {
    Objects.requireNonNull(cutNanos, "cutNanos");
    return new PartitionProblem(
        layerNanos,
        staticBytes,
        activationBytes,
        stageDevice,
        deviceSpeed,
        deviceMemoryBytes,
        stageInFlight,
        cutNanos);
  }

  /**
   * The round trip across the boundary between stages {@code stage} and {@code stage + 1} when
   * {@code stage} ends before layer {@code end} (so layer {@code end - 1} is its last).
   */
  public long cutNanos(int stage, int end) {
    return cutNanos[stage][end - 1];
  }

  /** The sum of the round trips across a partition's boundaries. */
  public long totalCutNanos(Partition partition) {
    check(partition);
    long sum = 0;
    int end = 0;
    for (int s = 0; s + 1 < partition.stageCount(); s++) {
      end += partition.layerCounts().get(s);
      sum = saturatedAdd(sum, cutNanos(s, end));
    }
    return sum;
  }

  /** The sum of the stage times of a partition. */
  public long totalStageNanos(Partition partition) {
    check(partition);
    long sum = 0;
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      sum += stageNanos(s, first, end);
      first = end;
    }
    return sum;
  }

  /** Time only: equal devices, one stage per device, no memory limit. */
  public static PartitionProblem timeOnly(long[] layerNanos, int stageCount) {
    int n = layerNanos.length;
    int[] devices = new int[stageCount];
    double[] speed = new double[stageCount];
    long[] memory = new long[stageCount];
    for (int s = 0; s < stageCount; s++) {
      devices[s] = s;
      speed[s] = 1.0;
      memory[s] = Long.MAX_VALUE;
    }
    return of(layerNanos, new long[n], new long[n], devices, speed, memory, new int[stageCount]);
  }

  private static final Map<String, String> UNITS =
      Map.of(
          "layerNanos", "nanoseconds of work",
          "staticBytes", "bytes of weights and optimizer state",
          "activationBytes", "bytes of activations");

  private static long[] prefix(long[] values, String name) {
    long[] p = new long[values.length + 1];
    for (int i = 0; i < values.length; i++) {
      if (values[i] < 0) {
        throw new IllegalArgumentException(name + "[" + i + "] is negative");
      }
      if (p[i] > Long.MAX_VALUE - values[i]) {
        throw new BadInputException(
            "the model's layers sum to more than "
                + Long.MAX_VALUE
                + " "
                + UNITS.get(name)
                + " over their first "
                + (i + 1)
                + " of "
                + values.length
                + " ("
                + name
                + "): the model is too large to plan. Maybe use fewer or smaller layers");
      }
      p[i + 1] = p[i] + values[i];
    }
    return p;
  }

  public int layerCount() {
    return layerNanos.length;
  }

  public int stageCount() {
    return stageDevice.length;
  }

  public int deviceCount() {
    return deviceSpeed.length;
  }

  public int deviceOf(int stage) {
    return stageDevice[stage];
  }

  public long layerNanos(int layer) {
    return layerNanos[layer];
  }

  public long layerStaticBytes(int layer) {
    return staticBytes[layer];
  }

  public long layerActivationBytes(int layer) {
    return activationBytes[layer];
  }

  public double deviceSpeed(int device) {
    return deviceSpeed[device];
  }

  public long deviceMemoryBytes(int device) {
    return deviceMemoryBytes[device];
  }

  public int inFlight(int stage) {
    return stageInFlight[stage];
  }

  /** Work of layers [first, end) at speed 1. */
  public long workNanos(int first, int end) {
    return nanosPrefix[end] - nanosPrefix[first];
  }

  /** Time of stage {@code stage} over layers [first, end) on its device. */
  public long stageNanos(int stage, int first, int end) {
    long work = nanosPrefix[end] - nanosPrefix[first];
    double speed = deviceSpeed[stageDevice[stage]];
    return speed == 1.0 ? work : (long) Math.ceil(work / speed);
  }

  /**
   * Peak memory of stage {@code stage} over layers [first, end): static bytes plus its in-flight
   * activations.
   */
  public long stageMemoryBytes(int stage, int first, int end) {
    long stat = staticPrefix[end] - staticPrefix[first];
    long act = activationPrefix[end] - activationPrefix[first];
    return saturatedAdd(stat, saturatedMultiply(act, stageInFlight[stage]));
  }

  /** Whether the stage alone fits in its device's memory. */
  public boolean stageFits(int stage, int first, int end) {
    return stageMemoryBytes(stage, first, end) <= deviceMemoryBytes[stageDevice[stage]];
  }

  /** The largest stage time of a partition. */
  public long bottleneckNanos(Partition partition) {
    check(partition);
    long worst = 0;
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      worst = Math.max(worst, stageNanos(s, first, end));
      first = end;
    }
    return worst;
  }

  /** The load of each pipeline device: the sum of the times of its stages. */
  public long[] deviceLoadNanos(Partition partition) {
    check(partition);
    long[] load = new long[deviceSpeed.length];
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      load[stageDevice[s]] += stageNanos(s, first, end);
      first = end;
    }
    return load;
  }

  /** The memory of each pipeline device: the sum of the memory of its stages. */
  public long[] deviceMemoryUse(Partition partition) {
    check(partition);
    long[] use = new long[deviceSpeed.length];
    int first = 0;
    for (int s = 0; s < partition.stageCount(); s++) {
      int end = first + partition.layerCounts().get(s);
      use[stageDevice[s]] = saturatedAdd(use[stageDevice[s]], stageMemoryBytes(s, first, end));
      first = end;
    }
    return use;
  }

  /** Whether every device's stages together fit in its memory. */
  public boolean fits(Partition partition) {
    long[] use = deviceMemoryUse(partition);
    for (int d = 0; d < use.length; d++) {
      if (use[d] > deviceMemoryBytes[d]) {
        return false;
      }
    }
    return true;
  }

  private void check(Partition partition) {
    Objects.requireNonNull(partition, "partition");
    if (partition.stageCount() != stageCount() || partition.layerCount() != layerCount()) {
      throw new IllegalArgumentException(
          "partition "
              + partition
              + " does not fit "
              + stageCount()
              + " stages over "
              + layerCount()
              + " layers");
    }
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  static long saturatedMultiply(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) {
      return lo;
    }
    return Long.MAX_VALUE;
  }

  @Override
  public String toString() {
    return "PartitionProblem{layers="
        + Arrays.toString(layerNanos)
        + ", stages="
        + Arrays.toString(stageDevice)
        + ", speeds="
        + Arrays.toString(deviceSpeed)
        + ", memory="
        + Arrays.toString(deviceMemoryBytes)
        + ", inFlight="
        + Arrays.toString(stageInFlight)
        + ", static="
        + Arrays.toString(staticBytes)
        + ", activations="
        + Arrays.toString(activationBytes)
        + "}";
  }
}
