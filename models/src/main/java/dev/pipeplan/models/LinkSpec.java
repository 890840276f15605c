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
    double nanos = latencyNanos + Math.ceil(bytes * 1e9 / bandwidthBytesPerSecond);
    if (nanos > MAX_TRANSFER_NANOS) {
      throw new BadInputException(
          String.format(
              java.util.Locale.ROOT,
              "moving %d bytes over link '%s' at %.3g bytes/s takes %.3g ns, more than the limit"
                  + " of 2^62 ns (146 years) of one transfer: too large to simulate. Maybe the"
                  + " link's bandwidth is wrong",
              bytes,
              name,
              bandwidthBytesPerSecond,
              nanos));
    }
    return (long) nanos;
  }

  /** The longest transfer a simulation adds up: 2^62 ns, so that no sum of them overflows. */
  private static final double MAX_TRANSFER_NANOS = 0x1p62;
}
