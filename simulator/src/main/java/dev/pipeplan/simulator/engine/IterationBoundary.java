package dev.pipeplan.simulator.engine;

import dev.pipeplan.models.BadInputException;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What lies between two iterations on each pipeline device when the optimizer step is
 * post-validated ({@link SteadyStateSimulator}): the gradient sync that still shows after the
 * device's last action, the device's own optimizer step, and the latency of the one small message
 * that carries the partially reduced global state (gradient norm, inf/NaN flag) from pipeline
 * device d − 1 to d before d steps.
 *
 * @param syncNanos per device, the exposed gradient sync after its last action (0 without data
 *     parallelism)
 * @param stepNanos per device, its optimizer step
 * @param hopNanos per device d, the latency of the message from device d − 1 (entry 0 is not used
 *     and must be 0)
 */
public record IterationBoundary(List<Long> syncNanos, List<Long> stepNanos, List<Long> hopNanos) {
  public IterationBoundary {
    syncNanos = List.copyOf(Objects.requireNonNull(syncNanos, "syncNanos"));
    stepNanos = List.copyOf(Objects.requireNonNull(stepNanos, "stepNanos"));
    hopNanos = List.copyOf(Objects.requireNonNull(hopNanos, "hopNanos"));
    int p = stepNanos.size();
    if (p == 0 || syncNanos.size() != p || hopNanos.size() != p) {
      throw new BadInputException(
          "an iteration boundary needs one sync, step and hop time per device, got "
              + syncNanos.size()
              + ", "
              + stepNanos.size()
              + " and "
              + hopNanos.size());
    }
    checkNonNegative("sync", syncNanos);
    checkNonNegative("step", stepNanos);
    checkNonNegative("hop", hopNanos);
    if (hopNanos.get(0) != 0) {
      throw new BadInputException(
          "device 0 receives no partial state, so its hop time must be 0 ns, got "
              + hopNanos.get(0));
    }
  }

  /** Nothing between iterations: the pipeline alone, as {@code pipeplan simulate} prices it. */
  public static IterationBoundary none(int devices) {
    List<Long> zeros = Collections.nCopies(devices, 0L);
    return new IterationBoundary(zeros, zeros, zeros);
  }

  private static void checkNonNegative(String name, List<Long> values) {
    for (int d = 0; d < values.size(); d++) {
      if (values.get(d) < 0) {
        throw new BadInputException(
            name + " time of device " + d + " must be >= 0 ns, got " + values.get(d));
      }
    }
  }

  public int deviceCount() {
    return stepNanos.size();
  }
}
