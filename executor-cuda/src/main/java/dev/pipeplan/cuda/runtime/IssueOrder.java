package dev.pipeplan.cuda.runtime;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which one host thread enqueues a schedule's actions on the devices' streams:
 * round-robin over the devices, each device's actions in its own order, an action only once every
 * action it depends on has been enqueued (so that the event it waits for exists). Each entry lists
 * its dependencies on other devices; those on its own device are implied by the stream's order.
 */
public final class IssueOrder {
  /**
   * One enqueued action.
   *
   * @param index position in the issue order
   * @param device its pipeline device
   * @param action the action
   * @param crossDeviceDependencies issue indices of the actions on other devices it waits for
   */
  public record Entry(int index, int device, Action action, List<Integer> crossDeviceDependencies) {
    public Entry {
      crossDeviceDependencies = List.copyOf(crossDeviceDependencies);
    }
  }

  private IssueOrder() {}

  /** The issue order of a schedule; throws when the per-device orders deadlock. */
  public static List<Entry> of(Schedule schedule) {
    int p = schedule.deviceCount();
    int last = schedule.stageCount() - 1;
    int[] next = new int[p];
    Map<Action, Integer> issued = new HashMap<>();
    List<Entry> out = new ArrayList<>(schedule.actionCount());
    boolean progress = true;
    while (out.size() < schedule.actionCount()) {
      if (!progress) {
        List<String> waiting = new ArrayList<>();
        for (int d = 0; d < p; d++) {
          if (next[d] < schedule.deviceActions().get(d).size()) {
            waiting.add("device " + d + " at " + schedule.deviceActions().get(d).get(next[d]));
          }
        }
        throw new BadInputException(
            "schedule '"
                + schedule.name()
                + "' deadlocks: "
                + String.join(", ", waiting)
                + " wait for each other");
      }
      progress = false;
      for (int d = 0; d < p; d++) {
        List<Action> list = schedule.deviceActions().get(d);
        while (next[d] < list.size()) {
          Action a = list.get(next[d]);
          List<Action> deps = dependencies(a, last, issued);
          List<Integer> cross = new ArrayList<>();
          boolean ready = true;
          for (Action dep : deps) {
            Integer at = issued.get(dep);
            if (at == null) {
              ready = false;
              break;
            }
            if (out.get(at).device() != d) {
              cross.add(at);
            }
          }
          if (!ready) {
            break;
          }
          Entry e = new Entry(out.size(), d, a, cross);
          issued.put(a, e.index());
          out.add(e);
          next[d]++;
          progress = true;
        }
      }
    }
    return out;
  }

  /**
   * The actions {@code a} depends on (ARCHITECTURE.md, "Schedule IR"); for backward, whichever of B
   * or I exists.
   */
  static List<Action> dependencies(Action a, int lastStage, Map<Action, Integer> issued) {
    int s = a.stage();
    int j = a.microBatch();
    List<Action> deps = new ArrayList<>(2);
    return switch (a.type()) {
      case F -> {
        if (s > 0) {
          deps.add(Action.of(ActionType.F, s - 1, j));
        }
        yield deps;
      }
      case I, B -> {
        deps.add(Action.of(ActionType.F, s, j));
        if (s < lastStage) {
          Action b = Action.of(ActionType.B, s + 1, j);
          deps.add(issued.containsKey(b) ? b : Action.of(ActionType.I, s + 1, j));
        }
        yield deps;
      }
      case W -> {
        deps.add(Action.of(ActionType.I, s, j));
        yield deps;
      }
    };
  }
}
