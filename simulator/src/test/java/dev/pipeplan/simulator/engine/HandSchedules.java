package dev.pipeplan.simulator.engine;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.ActionType;
import dev.pipeplan.simulator.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;

/**
 * Schedules written out by hand from their textbook definitions, so the engine's tests do not
 * depend on the generators they would otherwise be checking.
 */
final class HandSchedules {
  private HandSchedules() {}

  /**
   * All forwards of every micro-batch, then all backwards, in micro-batch order on every device.
   */
  static Schedule gpipe(int p, int m) {
    List<List<Action>> lists = new ArrayList<>();
    for (int r = 0; r < p; r++) {
      List<Action> list = new ArrayList<>();
      for (int j = 0; j < m; j++) {
        list.add(Action.of(ActionType.F, r, j));
      }
      for (int j = 0; j < m; j++) {
        list.add(Action.of(ActionType.B, r, j));
      }
      lists.add(list);
    }
    return new Schedule("gpipe", p, m, Schedule.loopedPlacement(p, 1), lists);
  }

  /**
   * PipeDream-flush 1F1B: p-r-1 warm-up forwards on rank r, then one forward and one backward in
   * turn.
   */
  static Schedule oneFOneB(int p, int m) {
    List<List<Action>> lists = new ArrayList<>();
    for (int r = 0; r < p; r++) {
      List<Action> list = new ArrayList<>();
      int warmup = Math.min(p - r - 1, m);
      int f = 0;
      int b = 0;
      for (; f < warmup; f++) {
        list.add(Action.of(ActionType.F, r, f));
      }
      while (b < m) {
        if (f < m) {
          list.add(Action.of(ActionType.F, r, f++));
        }
        list.add(Action.of(ActionType.B, r, b++));
      }
      lists.add(list);
    }
    return new Schedule("1f1b", p, m, Schedule.loopedPlacement(p, 1), lists);
  }

  /**
   * Megatron's interleaved 1F1B for m a multiple of p: forwards walk micro-batch groups of p
   * through chunk 0, then chunk 1, ...; backwards walk the chunks in reverse; rank r warms up with
   * 2(p-r-1) + (v-1)p forwards.
   */
  static Schedule interleaved(int p, int m, int v) {
    List<List<Action>> lists = new ArrayList<>();
    int total = m * v;
    for (int r = 0; r < p; r++) {
      List<Action> list = new ArrayList<>();
      int warmup = Math.min((p - r - 1) * 2 + (v - 1) * p, total);
      int f = 0;
      int b = 0;
      for (; f < warmup; f++) {
        list.add(forwardOf(f, p, v, r));
      }
      while (b < total) {
        if (f < total) {
          list.add(forwardOf(f++, p, v, r));
        }
        list.add(backwardOf(b++, p, v, r));
      }
      lists.add(list);
    }
    return new Schedule("interleaved", p, m, Schedule.loopedPlacement(p, v), lists);
  }

  private static Action forwardOf(int k, int p, int v, int rank) {
    int chunk = (k / p) % v;
    int microBatch = (k / (p * v)) * p + k % p;
    return Action.of(ActionType.F, chunk * p + rank, microBatch);
  }

  private static Action backwardOf(int k, int p, int v, int rank) {
    int chunk = v - 1 - (k / p) % v;
    int microBatch = (k / (p * v)) * p + k % p;
    return Action.of(ActionType.B, chunk * p + rank, microBatch);
  }

  /** One device list per device from cell strings like "0F0 0F1 0B0". */
  static Schedule parse(String name, int m, List<Integer> stageToDevice, String... rows) {
    List<List<Action>> lists = new ArrayList<>();
    for (String row : rows) {
      List<Action> list = new ArrayList<>();
      for (String cell : row.trim().split("\\s+")) {
        if (cell.isEmpty()) {
          continue;
        }
        int t = 0;
        while (Character.isDigit(cell.charAt(t))) {
          t++;
        }
        list.add(
            Action.of(
                ActionType.valueOf(cell.substring(t, t + 1)),
                Integer.parseInt(cell.substring(0, t)),
                Integer.parseInt(cell.substring(t + 1))));
      }
      lists.add(list);
    }
    return new Schedule(name, rows.length, m, stageToDevice, lists);
  }
}
