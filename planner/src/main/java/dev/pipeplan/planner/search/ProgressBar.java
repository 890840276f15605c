package dev.pipeplan.planner.search;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar, redrawn in place with {@code \r}: it stays silent for the first second
 * (short searches print nothing), then redraws at most ten times a second, and clears its line when
 * the search ends. The clock is injected so tests can drive it.
 */
public final class ProgressBar implements ProgressListener {
  private static final long QUIET_NANOS = 1_000_000_000L;
  private static final long REDRAW_NANOS = 100_000_000L;
  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final LongSupplier nanoClock;
  private final long startNanos;
  private long lastDrawNanos = Long.MIN_VALUE;
  private boolean drawn;

  public ProgressBar(PrintWriter out, LongSupplier nanoClock) {
    this.out = Objects.requireNonNull(out, "out");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.startNanos = nanoClock.getAsLong();
  }

  /**
   * A bar on stderr when stderr is a terminal and not {@code quiet}; otherwise a listener that
   * prints nothing.
   */
  public static ProgressListener forTerminal(PrintWriter err, boolean quiet) {
    if (quiet || System.console() == null) {
      return ProgressListener.none();
    }
    return new ProgressBar(err, System::nanoTime);
  }

  @Override
  public void progress(long done, long total) {
    long now = nanoClock.getAsLong();
    if (now - startNanos < QUIET_NANOS
        || (drawn && now - lastDrawNanos < REDRAW_NANOS && done < total)) {
      return;
    }
    lastDrawNanos = now;
    drawn = true;
    out.print('\r');
    out.print(line(done, total, now - startNanos));
    out.flush();
  }

  @Override
  public void finished() {
    if (drawn) {
      out.print('\r');
      out.print(" ".repeat(WIDTH + 48));
      out.print('\r');
      out.flush();
    }
  }

  /** The bar's text: "[#####.....] 42% 1234/2900 candidates, 1.3 s". */
  static String line(long done, long total, long elapsedNanos) {
    double fraction = total <= 0 ? 1.0 : Math.min(1.0, (double) done / total);
    int filled = (int) Math.round(fraction * WIDTH);
    return "["
        + "#".repeat(filled)
        + ".".repeat(WIDTH - filled)
        + "] "
        + String.format(
            Locale.ROOT,
            "%3d%% %d/%d candidates, %.1f s",
            Math.round(fraction * 100),
            done,
            total,
            elapsedNanos / 1e9);
  }
}
