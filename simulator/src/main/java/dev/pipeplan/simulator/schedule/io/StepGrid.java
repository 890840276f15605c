package dev.pipeplan.simulator.schedule.io;

import dev.pipeplan.simulator.schedule.Action;
import dev.pipeplan.simulator.schedule.Schedule;
import dev.pipeplan.simulator.schedule.ScheduleIndex;
import dev.pipeplan.simulator.schedule.check.ScheduleValidator;
import dev.pipeplan.simulator.schedule.check.TokenGame;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A schedule laid out in unit steps, as PyTorch prints and writes its schedules: every action takes
 * one step and starts in the first step after its device's previous action and after each of its
 * data predecessors. Idle steps are empty cells. Used for the text grid of {@code pipeplan
 * schedule} and for PyTorch CSV export.
 *
 * @param deviceSteps for each device, the step of each of its actions, in its order
 * @param stepCount the number of steps of the longest device row
 */
public record StepGrid(List<List<Integer>> deviceSteps, int stepCount) {
  public StepGrid {
    List<List<Integer>> copy = new ArrayList<>();
    for (List<Integer> steps : Objects.requireNonNull(deviceSteps, "deviceSteps")) {
      copy.add(List.copyOf(steps));
    }
    deviceSteps = List.copyOf(copy);
  }

  /**
   * Lays out a schedule.
   *
   * @throws dev.pipeplan.models.BadInputException if the schedule is invalid (see {@link
   *     ScheduleValidator})
   */
  public static StepGrid of(Schedule schedule) {
    ScheduleValidator.validate(schedule);
    ScheduleIndex index = ScheduleIndex.of(schedule);
    TokenGame game = TokenGame.play(schedule, index);
    List<List<Integer>> all = new ArrayList<>(schedule.deviceCount());
    int stepCount = 0;
    for (List<Action> actions : schedule.deviceActions()) {
      List<Integer> steps = new ArrayList<>(actions.size());
      for (Action a : actions) {
        int step = game.stepOf(index.key(a));
        steps.add(step);
        stepCount = Math.max(stepCount, step + 1);
      }
      all.add(steps);
    }
    return new StepGrid(all, stepCount);
  }

  /**
   * The cells of each device's row: the action's text (in {@code spelling}) at its step and ""
   * where the device idles; each row ends at its last action.
   */
  public static List<List<String>> cells(
      Schedule schedule, StepGrid grid, PyTorchCsv.Spelling spelling) {
    List<List<String>> rows = new ArrayList<>(schedule.deviceCount());
    for (int d = 0; d < schedule.deviceCount(); d++) {
      List<Action> actions = schedule.deviceActions().get(d);
      List<Integer> steps = grid.deviceSteps().get(d);
      int length = steps.isEmpty() ? 0 : steps.get(steps.size() - 1) + 1;
      String[] row = new String[length];
      Arrays.fill(row, "");
      for (int k = 0; k < actions.size(); k++) {
        row[steps.get(k)] = spelling.format(actions.get(k));
      }
      rows.add(List.of(row));
    }
    return Collections.unmodifiableList(rows);
  }

  /**
   * A readable, aligned grid: a header line, a line of step numbers, then one line per device with
   * a column per step ("." where the device idles).
   */
  public static String render(Schedule schedule) {
    StepGrid grid = of(schedule);
    List<List<String>> rows = cells(schedule, grid, PyTorchCsv.Spelling.CURRENT);
    int width = String.valueOf(Math.max(0, grid.stepCount() - 1)).length();
    for (List<String> row : rows) {
      for (String cell : row) {
        width = Math.max(width, cell.length());
      }
    }
    String label = "device " + (schedule.deviceCount() - 1);
    StringBuilder out = new StringBuilder();
    out.append("schedule ")
        .append(schedule.name())
        .append(": pp ")
        .append(schedule.deviceCount())
        .append(", microbatches ")
        .append(schedule.microBatchCount())
        .append(", virtual stages ")
        .append(schedule.virtualStages())
        .append(", ")
        .append(schedule.actionCount())
        .append(" actions in ")
        .append(grid.stepCount())
        .append(" unit steps\n");
    out.append(pad("step", label.length()));
    for (int step = 0; step < grid.stepCount(); step++) {
      out.append(' ').append(pad(String.valueOf(step), width));
    }
    out.append('\n');
    for (int d = 0; d < rows.size(); d++) {
      out.append(pad("device " + d, label.length()));
      List<String> row = rows.get(d);
      for (int step = 0; step < grid.stepCount(); step++) {
        String cell = step < row.size() && !row.get(step).isEmpty() ? row.get(step) : ".";
        out.append(' ').append(pad(cell, width));
      }
      out.append('\n');
    }
    return stripLineEnds(out.toString());
  }

  private static String pad(String text, int width) {
    StringBuilder b = new StringBuilder(text);
    while (b.length() < width) {
      b.append(' ');
    }
    return b.toString();
  }

  private static String stripLineEnds(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (String line : text.split("\n", -1)) {
      if (b.length() > 0) {
        b.append('\n');
      }
      b.append(line.stripTrailing());
    }
    return b.toString();
  }
}
