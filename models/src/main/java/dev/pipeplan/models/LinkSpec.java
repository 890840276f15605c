package dev.pipeplan.models;

/**
 * A link between two devices: sending n bytes takes {@code latencyNanos + n /
 * bandwidthBytesPerSecond}.
 *
 * @param name what the link is ("nvlink4", "ib-ndr400")
 * @param bandwidthBytesPerSecond sustained one-direction bandwidth
 * @param latencyNanos fixed cost of one transfer
 */
public record LinkSpec(String name, double bandwidthBytesPerSecond, long latencyNanos) {
  public LinkSpec {
    Checks.nonBlank("link name", name);
    Checks.positive("link '" + name + "' bandwidthBytesPerSecond", bandwidthBytesPerSecond);
    Checks.nonNegative("link '" + name + "' latencyNanos", latencyNanos);
  }

  /** Time to move {@code bytes} over this link; zero bytes cost nothing (no message is sent). */
  public long transferNanos(long bytes) {
    if (bytes <= 0) {
      return 0;
    }
    return latencyNanos + (long) Math.ceil(bytes * 1e9 / bandwidthBytesPerSecond);
  }
}
