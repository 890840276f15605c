package dev.pipeplan.simulator.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The data dependencies between actions of one pipeline iteration (ARCHITECTURE.md, "Schedule IR"):
 *
 * <ul>
 *   <li>F(s,j) after F(s-1,j);
 *   <li>I or B (s,j) after F(s,j) and, except on the last stage, after the backward (I or B) of
 *       (s+1,j);
 *   <li>W(s,j) after I(s,j).
 * </ul>
 *
 * <p>The per-device order is not a data dependency; the validator and the engine add it themselves.
 */
public final class ScheduleDependencies {
  private ScheduleDependencies() {}

  /**
   * The actions {@code action} waits for.
   *
   * @param action the waiting action
   * @param stageCount the number of global virtual stages, p*v
   * @param nextStageBackward how stage {@code action.stage() + 1} runs the backward of the same
   *     micro-batch: {@link ActionType#I} (split) or {@link ActionType#B} (fused); ignored unless
   *     {@code action} is an I or B below the last stage
   * @return the predecessors in a fixed order (the same-stage one first)
   */
  public static List<Action> predecessors(
      Action action, int stageCount, ActionType nextStageBackward) {
    Objects.requireNonNull(action, "action");
    int s = action.stage();
    int j = action.microBatch();
    List<Action> result = new ArrayList<>(2);
    return switch (action.type()) {
      case F -> {
        if (s > 0) {
          result.add(Action.of(ActionType.F, s - 1, j));
        }
        yield result;
      }
      case I, B -> {
        result.add(Action.of(ActionType.F, s, j));
        if (s + 1 < stageCount) {
          if (nextStageBackward != ActionType.I && nextStageBackward != ActionType.B) {
            throw new IllegalArgumentException(
                "nextStageBackward must be I or B, got " + nextStageBackward);
          }
          result.add(Action.of(nextStageBackward, s + 1, j));
        }
        yield result;
      }
      case W -> {
        result.add(Action.of(ActionType.I, s, j));
        yield result;
      }
    };
  }

  /**
   * The actions {@code action} waits for when every stage runs backwards the way {@code action}
   * does: an I waits for the next stage's I, a B for the next stage's B. Use {@link
   * #predecessors(Action, ScheduleIndex)} for schedules that mix the two (DualPipeV, imported
   * CSVs).
   */
  public static List<Action> predecessors(Action action, int stageCount) {
    ActionType next = action.type() == ActionType.I ? ActionType.I : ActionType.B;
    return predecessors(action, stageCount, next);
  }

  /**
   * The actions {@code action} waits for in {@code schedule}: like {@link #predecessors(Action,
   * int, ActionType)}, with the next stage's backward type read from the schedule (I if the
   * schedule has I(s+1,j), else B).
   */
  public static List<Action> predecessors(Action action, ScheduleIndex index) {
    Objects.requireNonNull(index, "index");
    ActionType next = ActionType.B;
    if (action.stage() + 1 < index.stageCount()
        && index.contains(Action.of(ActionType.I, action.stage() + 1, action.microBatch()))) {
      next = ActionType.I;
    }
    return predecessors(action, index.stageCount(), next);
  }
}
