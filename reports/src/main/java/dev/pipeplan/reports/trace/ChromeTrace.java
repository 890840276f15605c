package dev.pipeplan.reports.trace;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.io.AtomicFiles;
import dev.pipeplan.models.io.Json;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import dev.pipeplan.simulator.timeline.Transfer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Chrome trace event JSON (the format chrome://tracing and Perfetto open) of one or more timelines
 * of a plan. Each timeline is a process (pid 1 for the first, by convention the predicted one; pid
 * 2 for the measured one), named by {@code process_name} metadata; each device is a thread (tid =
 * device) named by {@code thread_name}. Every action is one complete event ({@code "ph": "X"})
 * named by its text ({@code 2F5}), with its type as category, {@code ts}/{@code dur} in
 * microseconds (exact: up to three decimals, from nanoseconds) and its stage and micro-batch as
 * args. Transfers are async begin/end pairs ({@code "b"}/{@code "e"}, category {@code comm}), which
 * may overlap where complete events may not. The output is one event per line, fields in a fixed
 * order, so the same timelines always give the same bytes.
 */
public final class ChromeTrace {
  /** The pid of the first timeline; the second gets 2, and so on. */
  public static final int FIRST_PID = 1;

  private ChromeTrace() {}

  /** The trace of a predicted timeline alone. */
  public static String toJson(Timeline predicted) {
    return toJson(List.of(predicted));
  }

  /** The trace of a predicted and a measured timeline: pid 1 and pid 2. */
  public static String toJson(Timeline predicted, Timeline measured) {
    return toJson(List.of(predicted, measured));
  }

  /** The trace of the timelines in order, pid 1, 2, ... */
  public static String toJson(List<Timeline> timelines) {
    StringBuilder b = new StringBuilder();
    try {
      write(timelines, b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toString();
  }

  /** Writes the trace of the timelines atomically. */
  public static void write(List<Timeline> timelines, Path out) {
    List<Timeline> copy = check(timelines);
    AtomicFiles.write(
        out,
        stream -> {
          Writer w =
              new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
          write(copy, w);
          w.flush();
        });
  }

  private static List<Timeline> check(List<Timeline> timelines) {
    List<Timeline> copy = List.copyOf(Objects.requireNonNull(timelines, "timelines"));
    if (copy.isEmpty()) {
      throw new BadInputException("a trace needs at least one timeline");
    }
    return copy;
  }

  private static void write(List<Timeline> timelines, Appendable out) throws IOException {
    List<Timeline> list = check(timelines);
    List<String> events = new ArrayList<>();
    out.append(
        "{\"displayTimeUnit\": \"ms\", \"otherData\": {\"generator\": \"pipeplan\"}, \"traceEvents\": [\n");
    boolean first = true;
    for (int i = 0; i < list.size(); i++) {
      Timeline t = list.get(i);
      int pid = FIRST_PID + i;
      events.clear();
      events.add(
          metadata(
              "process_name",
              pid,
              0,
              "\"name\": " + Json.quote(t.source() + ": " + t.scheduleName())));
      events.add(metadata("process_sort_index", pid, 0, "\"sort_index\": " + pid));
      for (int d = 0; d < t.deviceCount(); d++) {
        events.add(metadata("thread_name", pid, d, "\"name\": " + Json.quote("device " + d)));
        events.add(metadata("thread_sort_index", pid, d, "\"sort_index\": " + d));
      }
      for (String e : events) {
        first = line(out, first, e);
      }
      for (TimedAction a : t.actions()) {
        if (a.device() >= t.deviceCount()) {
          throw new BadInputException(
              "timeline '"
                  + t.scheduleName()
                  + "' has "
                  + t.deviceCount()
                  + " devices but an action on device "
                  + a.device());
        }
        first =
            line(
                out,
                first,
                "{\"name\": "
                    + Json.quote(a.action().toString())
                    + ", \"cat\": "
                    + Json.quote(a.action().type().name())
                    + ", \"ph\": \"X\", \"ts\": "
                    + micros(a.startNanos())
                    + ", \"dur\": "
                    + micros(a.durationNanos())
                    + ", \"pid\": "
                    + pid
                    + ", \"tid\": "
                    + a.device()
                    + ", \"args\": {\"stage\": "
                    + a.action().stage()
                    + ", \"microBatch\": "
                    + a.action().microBatch()
                    + "}}");
      }
      int id = 0;
      for (Transfer x : t.transfers()) {
        String name = Json.quote(x.producer() + "->" + x.consumer());
        String common =
            ", \"cat\": \"comm\", \"id\": "
                + id
                + ", \"pid\": "
                + pid
                + ", \"tid\": "
                + x.toDevice();
        first =
            line(
                out,
                first,
                "{\"name\": "
                    + name
                    + common
                    + ", \"ph\": \"b\", \"ts\": "
                    + micros(x.startNanos())
                    + ", \"args\": {\"fromDevice\": "
                    + x.fromDevice()
                    + ", \"toDevice\": "
                    + x.toDevice()
                    + ", \"bytes\": "
                    + x.bytes()
                    + "}}");
        first =
            line(
                out,
                first,
                "{\"name\": "
                    + name
                    + common
                    + ", \"ph\": \"e\", \"ts\": "
                    + micros(x.endNanos())
                    + "}");
        id++;
      }
    }
    out.append("\n]}\n");
  }

  private static boolean line(Appendable out, boolean first, String event) throws IOException {
    if (!first) {
      out.append(",\n");
    }
    out.append(event);
    return false;
  }

  private static String metadata(String name, int pid, int tid, String args) {
    return "{\"name\": \""
        + name
        + "\", \"ph\": \"M\", \"pid\": "
        + pid
        + ", \"tid\": "
        + tid
        + ", \"args\": {"
        + args
        + "}}";
  }

  /** Nanoseconds as microseconds, exactly: "1500", "1500.25", "0.001". */
  static String micros(long nanos) {
    return BigDecimal.valueOf(nanos, 3).stripTrailingZeros().toPlainString();
  }
}
