package dev.pipeplan.simulator.timeline;

import dev.pipeplan.simulator.schedule.Action;
import java.util.Objects;

/**
 * Data crossing from one device to another: the output of {@code producer} on its way to {@code
 * consumer}.
 *
 * @param fromDevice sender
 * @param toDevice receiver
 * @param producer the action whose result is sent
 * @param consumer the action that waits for it
 * @param bytes bytes sent
 * @param startNanos when the send starts (the producer's end)
 * @param endNanos when the data has arrived
 */
public record Transfer(
    int fromDevice,
    int toDevice,
    Action producer,
    Action consumer,
    long bytes,
    long startNanos,
    long endNanos) {
  public Transfer {
    Objects.requireNonNull(producer, "producer");
    Objects.requireNonNull(consumer, "consumer");
    if (endNanos < startNanos) {
      throw new IllegalArgumentException(
          "transfer ends before it starts: " + producer + " -> " + consumer);
    }
  }
}
