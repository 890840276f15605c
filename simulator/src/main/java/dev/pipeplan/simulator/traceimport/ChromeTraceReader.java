package dev.pipeplan.simulator.traceimport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Chrome trace JSON written by the PyTorch profiler ({@code prof.export_chrome_trace}). Only
 * complete events ({@code "ph": "X"}) named {@code PP:<stage><F|I|W|B><micro-batch>} (the span
 * {@code _PipelineScheduleRuntime} opens around each action, input wait included) or {@code
 * pipeplan:<action>} (the launcher's span around the computation alone) are read; a file with any
 * {@code pipeplan:} event uses those only. Communication, gradient reduction and overlapped-pair
 * events are skipped. {@code ts} and {@code dur} are microseconds.
 */
final class ChromeTraceReader {
  private static final Pattern NAME = Pattern.compile("(PP|pipeplan):(\\d{1,9}[FIWB]\\d{1,9})");

  private ChromeTraceReader() {}

  static boolean isChromeTrace(JsonNode root) {
    return root.isArray() || (root.isObject() && root.has("traceEvents"));
  }

  /**
   * The action events of one file. The rank is the file's {@code distributedInfo.rank} where the
   * profiler wrote one; else, with several files, the file's position; else each process id
   * (ascending) is a rank.
   */
  static List<TimedAction> parse(JsonNode root, String file, int fileIndex, int fileCount) {
    JsonNode events = root.isArray() ? root : root.get("traceEvents");
    if (events == null || !events.isArray()) {
      throw new BadInputException("trace file " + file + ": field 'traceEvents' must be an array");
    }
    JsonNode rankNode = root.isObject() ? root.path("distributedInfo").get("rank") : null;
    Integer fixedRank = null;
    if (rankNode != null && rankNode.canConvertToInt()) {
      fixedRank = rankNode.asInt();
    } else if (fileCount > 1) {
      fixedRank = fileIndex;
    }
    Fields f = new Fields(file);
    List<long[]> runtime = new ArrayList<>();
    List<long[]> launcher = new ArrayList<>();
    List<Action> runtimeActions = new ArrayList<>();
    List<Action> launcherActions = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      JsonNode e = events.get(i);
      if (!"X".equals(e.path("ph").asText()) || !e.path("name").isTextual()) {
        continue;
      }
      Matcher m = NAME.matcher(e.get("name").asText());
      if (!m.matches()) {
        continue;
      }
      String where = "traceEvents[" + i + "] ('" + e.get("name").asText() + "')";
      long start = micros(f, e, "ts", where, file);
      long duration = micros(f, e, "dur", where, file);
      for (String field : new String[] {"ts", "dur"}) {
        // a negative start made the iteration's span overflow into a negative time
        if ((field.equals("ts") ? start : duration) < 0) {
          throw new BadInputException(
              "trace file "
                  + file
                  + ": "
                  + where
                  + ": field '"
                  + field
                  + "' is negative ("
                  + e.get(field)
                  + ")");
        }
      }
      if (duration > Long.MAX_VALUE - start) {
        throw new BadInputException(
            "trace file "
                + file
                + ": "
                + where
                + ": 'ts' + 'dur' ("
                + e.get("ts")
                + " + "
                + e.get("dur")
                + " microseconds) is beyond what a trace can hold ("
                + Long.MAX_VALUE / 1000
                + ")");
      }
      long pid = fixedRank != null ? 0 : pid(f, e, where);
      long[] event = {pid, start, start + duration};
      boolean fromLauncher = m.group(1).equals("pipeplan");
      (fromLauncher ? launcher : runtime).add(event);
      (fromLauncher ? launcherActions : runtimeActions).add(Fields.parseAction(m.group(2)));
    }
    List<long[]> chosen = launcher.isEmpty() ? runtime : launcher;
    List<Action> actions = launcher.isEmpty() ? runtimeActions : launcherActions;
    TreeSet<Long> pids = new TreeSet<>();
    for (long[] e : chosen) {
      pids.add(e[0]);
    }
    List<Long> pidOrder = new ArrayList<>(pids);
    List<TimedAction> out = new ArrayList<>(chosen.size());
    for (int i = 0; i < chosen.size(); i++) {
      long[] e = chosen.get(i);
      int device = fixedRank != null ? fixedRank : pidOrder.indexOf(e[0]);
      out.add(new TimedAction(device, actions.get(i), e[1], e[2]));
    }
    return out;
  }

  private static long micros(Fields f, JsonNode e, String name, String where, String file) {
    f.number(e, name, where);
    BigDecimal nanos =
        e.get(name).decimalValue().movePointRight(3).setScale(0, RoundingMode.HALF_EVEN);
    if (nanos.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new BadInputException(
          "trace file "
              + file
              + ": "
              + where
              + ": field '"
              + name
              + "' is "
              + e.get(name).asText()
              + " microseconds, beyond what a trace can hold ("
              + Long.MAX_VALUE / 1000
              + ")");
    }
    return nanos.longValueExact();
  }

  private static long pid(Fields f, JsonNode e, String where) {
    JsonNode pid = e.get("pid");
    if (pid != null && pid.isTextual()) {
      return pid.asText().hashCode() & 0xffffffffL;
    }
    return f.longValue(e, "pid", where);
  }

  /**
   * Joins the files' events into iterations: the k-th occurrence (by start) of an action on its
   * rank belongs to iteration k, and each iteration's times are taken from its earliest start.
   */
  static ImportedTrace join(List<List<TimedAction>> perFile, List<String> files) {
    Map<String, List<TimedAction>> byKey = new TreeMap<>();
    int devices = 0;
    int maxStage = -1;
    int maxMicroBatch = -1;
    for (List<TimedAction> events : perFile) {
      for (TimedAction a : events) {
        byKey.computeIfAbsent(key(a), k -> new ArrayList<>()).add(a);
        devices = Math.max(devices, a.device() + 1);
        maxStage = Math.max(maxStage, a.action().stage());
        maxMicroBatch = Math.max(maxMicroBatch, a.action().microBatch());
      }
    }
    if (byKey.isEmpty()) {
      throw new BadInputException(
          "the Chrome traces "
              + files
              + " have no complete ('ph': 'X') event named"
              + " PP:<action> or pipeplan:<action>. Maybe profile with torch.profiler around"
              + " _PipelineScheduleRuntime.step(), or run the launcher with --chrome-trace.");
    }
    int iterations = -1;
    String firstKey = null;
    for (Map.Entry<String, List<TimedAction>> e : byKey.entrySet()) {
      e.getValue().sort(Comparator.comparingLong(TimedAction::startNanos));
      if (iterations < 0) {
        iterations = e.getValue().size();
        firstKey = e.getKey();
      } else if (e.getValue().size() != iterations) {
        throw new BadInputException(
            "the Chrome traces hold action "
                + shown(e.getKey())
                + " "
                + times(e.getValue().size())
                + " but "
                + shown(firstKey)
                + " "
                + times(iterations)
                + "; every action must occur once per iteration");
      }
    }
    requireComplete(byKey.values(), maxStage, maxMicroBatch);
    List<Timeline> timelines = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    for (int k = 0; k < iterations; k++) {
      long origin = Long.MAX_VALUE;
      for (List<TimedAction> list : byKey.values()) {
        origin = Math.min(origin, list.get(k).startNanos());
      }
      List<TimedAction> actions = new ArrayList<>();
      for (List<TimedAction> list : byKey.values()) {
        TimedAction a = list.get(k);
        actions.add(
            new TimedAction(
                a.device(), a.action(), a.startNanos() - origin, a.endNanos() - origin));
      }
      actions.sort(
          Comparator.comparingInt(TimedAction::device)
              .thenComparingLong(TimedAction::startNanos)
              .thenComparing(TimedAction::action));
      timelines.add(new Timeline("pytorch", "pytorch", devices, actions, List.of(), List.of()));
      losses.add(0.0);
    }
    int stages = maxStage + 1;
    int v = stages % devices == 0 ? stages / devices : 0;
    TraceInfo info =
        new TraceInfo(
            "pytorch",
            "",
            "",
            devices,
            v,
            maxMicroBatch + 1,
            0,
            "",
            "pytorch-profiler",
            "",
            "",
            0,
            0);
    return new ImportedTrace(info, timelines, losses, files);
  }

  /**
   * Every stage up to the highest one seen runs a forward of every micro-batch up to the highest
   * one seen, and a stage that runs any backward runs one (B, or I and W) of each. A trace that
   * lacks one lost an event: a misnamed or overlapped span (skipped) or a rank's file left out.
   * Forward-only traces stay readable.
   */
  private static void requireComplete(
      Collection<List<TimedAction>> actions, int maxStage, int maxMicroBatch) {
    Set<Action> present = new HashSet<>();
    Set<Integer> stagesWithBackward = new HashSet<>();
    for (List<TimedAction> list : actions) {
      Action a = list.get(0).action();
      present.add(a);
      if (a.type().isBackward()) {
        stagesWithBackward.add(a.stage());
      }
    }
    for (int stage = 0; stage <= maxStage; stage++) {
      for (int mb = 0; mb <= maxMicroBatch; mb++) {
        List<ActionType> needed = new ArrayList<>(List.of(ActionType.F));
        if (stagesWithBackward.contains(stage)
            && !present.contains(Action.of(ActionType.B, stage, mb))) {
          needed.add(ActionType.I);
          needed.add(ActionType.W);
        }
        for (ActionType type : needed) {
          Action a = Action.of(type, stage, mb);
          if (!present.contains(a)) {
            throw new BadInputException(
                "the Chrome traces have no action "
                    + a
                    + (needed.size() > 1 && type != ActionType.F
                        ? " (nor " + Action.of(ActionType.B, stage, mb) + ")"
                        : "")
                    + " although they hold stages up to "
                    + maxStage
                    + " and micro-batches up to "
                    + maxMicroBatch
                    + ". Maybe a rank's trace file is missing, or the span has another name:"
                    + " an action is read from a span named PP:<stage><F|I|W|B><micro-batch>"
                    + " (PP:0F1); any other name, and an overlapped pair"
                    + " (PP:(0F1;3B0)OVERLAP_F_B), is skipped.");
          }
        }
      }
    }
  }

  private static String times(int n) {
    return n == 1 ? "once" : n + " times";
  }

  /** A {@link #key} as a reader reads it: "0F0 on device 3". */
  private static String shown(String key) {
    int slash = key.indexOf('/');
    return key.substring(slash + 1) + " on device " + Integer.parseInt(key.substring(0, slash));
  }

  private static String key(TimedAction a) {
    return String.format(Locale.ROOT, "%06d/%s", a.device(), a.action());
  }
}
