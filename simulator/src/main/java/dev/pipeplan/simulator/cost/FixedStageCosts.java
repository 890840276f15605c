package dev.pipeplan.simulator.cost;

import dev.pipeplan.models.BadInputException;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage costs given directly in milliseconds, with no communication and no memory: the shape of the
 * closed-form checks (every stage F = 1 ms, B = 2 ms) and of {@code pipeplan simulate
 * --uniform-stage-ms}.
 */
public final class FixedStageCosts {
  private FixedStageCosts() {}

  /** Every stage the same F, I and W, in milliseconds. */
  public static StageCosts uniformMillis(
      int stageCount, double forwardMs, double inputMs, double weightMs) {
    StageCost cost =
        StageCost.ofTimes(nanos("F", forwardMs), nanos("I", inputMs), nanos("W", weightMs));
    return StageCosts.uniform(stageCount, cost);
  }

  /**
   * Reads "F,B" or "F,I,W" in milliseconds. With two numbers the backward B splits evenly into I
   * and W (so a fused B takes the given time, and a split schedule runs I and W at half of it
   * each).
   */
  public static StageCosts parseUniform(String text, int stageCount) {
    return parseUniform(text, stageCount, 1);
  }

  /**
   * Reads "F,B" or "F,I,W" in milliseconds as the times of one pipeline device's whole share of the
   * model; with {@code chunksPerDevice} virtual stages per device (interleaved and V schedules)
   * each stage takes 1/{@code chunksPerDevice} of them, so that schedules of the same model on the
   * same devices compare.
   */
  public static StageCosts parseUniform(String text, int stageCount, int chunksPerDevice) {
    if (chunksPerDevice <= 0) {
      throw new IllegalArgumentException("chunksPerDevice must be > 0, got " + chunksPerDevice);
    }
    // -1 keeps trailing empty items: "1,2," is refused, not read as "1,2"
    String[] parts = text == null ? new String[0] : text.split(",", -1);
    List<Double> values = new ArrayList<>();
    for (String part : parts) {
      try {
        values.add(Double.parseDouble(part.trim()));
      } catch (NumberFormatException e) {
        throw new BadInputException(
            "--uniform-stage-ms '"
                + text
                + "': '"
                + part.trim()
                + "' is not a number of milliseconds",
            e);
      }
    }
    // checked as given, before the split over chunks, so that a message names the user's number
    if (values.size() >= 2 && values.stream().allMatch(v -> v == 0)) {
      throw new BadInputException(
          "--uniform-stage-ms '"
              + text
              + "' gives no time at all; an iteration of 0 ms has no bubble or throughput to"
              + " report. Give some action a time > 0, for example 1,2");
    }
    if (values.size() == 2) {
      long forward = share(nanos("F", values.get(0)), chunksPerDevice);
      long backward = share(nanos("B", values.get(1)), chunksPerDevice);
      long input = backward - backward / 2;
      return StageCosts.uniform(stageCount, StageCost.ofTimes(forward, input, backward - input));
    }
    if (values.size() == 3) {
      StageCost cost =
          StageCost.ofTimes(
              share(nanos("F", values.get(0)), chunksPerDevice),
              share(nanos("I", values.get(1)), chunksPerDevice),
              share(nanos("W", values.get(2)), chunksPerDevice));
      return StageCosts.uniform(stageCount, cost);
    }
    throw new BadInputException(
        "--uniform-stage-ms '"
            + text
            + "' has "
            + values.size()
            + " numbers; give F,B or F,I,W in milliseconds,"
            + " for example 1,2 or 1,1,1");
  }

  private static long nanos(String what, double millis) {
    if (!(millis >= 0) || Double.isInfinite(millis)) {
      throw new BadInputException(
          what + " time must be a finite number of milliseconds >= 0, got " + millis);
    }
    return Math.round(millis * 1e6);
  }

  /** One chunk's part of a device's time, to the nearest nanosecond. */
  private static long share(long nanos, int chunks) {
    return Math.round((double) nanos / chunks);
  }
}
