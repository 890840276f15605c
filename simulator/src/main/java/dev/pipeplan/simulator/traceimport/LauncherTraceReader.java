package dev.pipeplan.simulator.traceimport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.timeline.TimedAction;
import dev.pipeplan.simulator.timeline.Timeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Reads the per-rank trace files of the torch-script launcher ({@code format:
 * pipeplan-torch-trace}) and joins the ranks' iterations into timelines: iteration k of the run is
 * iteration k of every rank.
 */
final class LauncherTraceReader {
  static final String FORMAT = "pipeplan-torch-trace";
  static final int VERSION = 1;

  private LauncherTraceReader() {}

  /** One rank's file. */
  record RankTrace(
      String file,
      int rank,
      TraceInfo info,
      List<List<TimedAction>> iterations,
      List<Double> losses) {}

  static boolean isLauncherTrace(JsonNode root) {
    return root.isObject() && FORMAT.equals(root.path("format").asText(null));
  }

  static RankTrace parse(JsonNode root, String file) {
    Fields f = new Fields(file);
    int version = f.integer(root, "version", "");
    if (version != VERSION) {
      throw new BadInputException(
          "trace file "
              + file
              + ": version is "
              + version
              + ", this pipeplan reads "
              + FORMAT
              + " version "
              + VERSION);
    }
    int rank = f.integer(root, "rank", "");
    int p = f.integer(root, "pipelineDevices", "");
    if (rank < 0 || rank >= p) {
      throw new BadInputException(
          "trace file "
              + file
              + ": field 'rank' is "
              + rank
              + ", outside 0.."
              + (p - 1)
              + " (pipelineDevices "
              + p
              + ")");
    }
    String device = f.text(root, "device", "");
    String backend = f.text(root, "backend", "");
    TraceInfo info =
        new TraceInfo(
            "pytorch",
            f.text(root, "modelName", ""),
            f.text(root, "scheduleName", ""),
            p,
            f.integer(root, "virtualStages", ""),
            f.integer(root, "microBatchCount", ""),
            f.integer(root, "microBatchSize", ""),
            f.text(root, "partition", ""),
            "pytorch-" + backend + "-" + device,
            root.path("machine").asText(""),
            root.path("threadSettings").asText(""),
            root.path("seed").asLong(0),
            f.integer(root, "warmupIterations", ""));
    JsonNode iterations = f.array(root, "iterations", "");
    List<List<TimedAction>> timed = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    Set<Action> seenFirst = Set.of();
    for (int i = 0; i < iterations.size(); i++) {
      String where = "iterations[" + i + "]";
      JsonNode iteration = iterations.get(i);
      JsonNode actions = f.array(iteration, "actions", where);
      List<TimedAction> list = new ArrayList<>();
      Set<Action> seen = new TreeSet<>();
      for (int a = 0; a < actions.size(); a++) {
        String at = where + ".actions[" + a + "]";
        JsonNode event = actions.get(a);
        Action action = Fields.action(f.text(event, "action", at), file, at);
        long start = f.longValue(event, "startNanos", at);
        long end = f.longValue(event, "endNanos", at);
        if (start < 0) {
          throw new BadInputException(
              "trace file "
                  + file
                  + ": "
                  + at
                  + " ("
                  + action
                  + "): field 'startNanos' is negative ("
                  + start
                  + "); times are from the iteration's start");
        }
        if (end < start) {
          throw new BadInputException(
              "trace file "
                  + file
                  + ": "
                  + at
                  + " ("
                  + action
                  + "): field 'endNanos' ("
                  + end
                  + ") is before 'startNanos' ("
                  + start
                  + ")");
        }
        if (!seen.add(action)) {
          throw new BadInputException(
              "trace file "
                  + file
                  + ": "
                  + at
                  + ": action "
                  + action
                  + " appears twice in iteration "
                  + i
                  + "; each action runs once per iteration");
        }
        list.add(new TimedAction(rank, action, start, end));
      }
      if (i > 0) {
        requireSameActions(file, seenFirst, seen, i);
      } else {
        seenFirst = seen;
      }
      timed.add(list);
      JsonNode loss = iteration.get("loss");
      losses.add(loss == null || loss.isNull() ? Double.NaN : f.number(iteration, "loss", where));
    }
    return new RankTrace(file, rank, info, timed, losses);
  }

  /**
   * Refuses an iteration of a rank that ran other actions than its first iteration: every iteration
   * runs the whole schedule, and an iteration with an action missing would be compared, fitted or
   * reported as if it were complete.
   */
  private static void requireSameActions(
      String file, Set<Action> first, Set<Action> actions, int iteration) {
    for (Action a : first) {
      if (!actions.contains(a)) {
        throw new BadInputException(
            "trace file "
                + file
                + ": iterations["
                + iteration
                + "] has no action "
                + a
                + ", which iterations[0] has; every iteration runs the same actions");
      }
    }
    for (Action a : actions) {
      if (!first.contains(a)) {
        throw new BadInputException(
            "trace file "
                + file
                + ": iterations["
                + iteration
                + "] has action "
                + a
                + ", which iterations[0] does not; every iteration runs the same actions");
      }
    }
  }

  /** Joins one file per rank into the run's timelines. */
  static ImportedTrace join(List<RankTrace> ranks) {
    TreeMap<Integer, RankTrace> byRank = new TreeMap<>();
    for (RankTrace r : ranks) {
      RankTrace twin = byRank.put(r.rank(), r);
      if (twin != null) {
        throw new BadInputException(
            "trace files "
                + twin.file()
                + " and "
                + r.file()
                + " are both rank "
                + r.rank()
                + "; pass one file per rank");
      }
    }
    RankTrace first = byRank.firstEntry().getValue();
    TraceInfo info = first.info();
    for (RankTrace r : byRank.values()) {
      sameRun(first, r);
    }
    for (int rank = 0; rank < info.pipelineDevices(); rank++) {
      if (!byRank.containsKey(rank)) {
        throw new BadInputException(
            "the traces have no file for rank "
                + rank
                + " of "
                + info.pipelineDevices()
                + " (read "
                + byRank.keySet()
                + "). Maybe pass the whole traces/ folder.");
      }
    }
    List<Timeline> timelines = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    for (int i = 0; i < first.iterations().size(); i++) {
      List<TimedAction> actions = new ArrayList<>();
      double loss = Double.NaN;
      for (RankTrace r : byRank.values()) {
        actions.addAll(r.iterations().get(i));
        if (Double.isNaN(loss)) {
          loss = r.losses().get(i);
        }
      }
      actions.sort(
          Comparator.comparingInt(TimedAction::device)
              .thenComparingLong(TimedAction::startNanos)
              .thenComparing(TimedAction::action));
      timelines.add(
          new Timeline(
              "pytorch",
              info.scheduleName().isEmpty() ? "pytorch" : info.scheduleName(),
              info.pipelineDevices(),
              actions,
              List.of(),
              List.of()));
      losses.add(Double.isNaN(loss) ? 0.0 : loss);
    }
    List<String> files = new ArrayList<>();
    for (RankTrace r : ranks) {
      files.add(r.file());
    }
    return new ImportedTrace(info, timelines, losses, files);
  }

  private static void sameRun(RankTrace a, RankTrace b) {
    TraceInfo x = a.info();
    TraceInfo y = b.info();
    String[][] pairs = {
      {"scheduleName", x.scheduleName(), y.scheduleName()},
      {"modelName", x.modelName(), y.modelName()},
      {"pipelineDevices", "" + x.pipelineDevices(), "" + y.pipelineDevices()},
      {"virtualStages", "" + x.virtualStages(), "" + y.virtualStages()},
      {"microBatchCount", "" + x.microBatchCount(), "" + y.microBatchCount()},
      {"microBatchSize", "" + x.microBatchSize(), "" + y.microBatchSize()},
      {"partition", x.partition(), y.partition()},
      {"iterations", "" + a.iterations().size(), "" + b.iterations().size()},
    };
    for (String[] p : pairs) {
      if (!p[1].equals(p[2])) {
        throw new BadInputException(
            "trace files "
                + a.file()
                + " and "
                + b.file()
                + " disagree on '"
                + p[0]
                + "' ("
                + p[1]
                + " and "
                + p[2]
                + "); they are not from the same run");
      }
    }
  }
}
