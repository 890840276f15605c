package dev.pipeplan.simulator.schedule;

import dev.pipeplan.models.Checks;
import java.util.Objects;

/**
 * One pipeline action: an action type on a global virtual stage for one micro-batch. Its text form
 * is PyTorch's cell spelling, {@code <stage><TYPE><microBatch>}, for example {@code 2F5}.
 *
 * @param type F, I, W or B
 * @param stage global virtual stage, 0 .. p*v-1
 * @param microBatch micro-batch index, 0 .. m-1
 */
public record Action(ActionType type, int stage, int microBatch) implements Comparable<Action> {
  public Action {
    Objects.requireNonNull(type, "type");
    Checks.nonNegative("action stage", stage);
    Checks.nonNegative("action microBatch", microBatch);
  }

  public static Action of(ActionType type, int stage, int microBatch) {
    return new Action(type, stage, microBatch);
  }

  @Override
  public String toString() {
    return stage + type.name() + microBatch;
  }

  /** Orders by stage, then micro-batch, then type: a stable order for printing and tie-breaking. */
  @Override
  public int compareTo(Action o) {
    int c = Integer.compare(stage, o.stage);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(microBatch, o.microBatch);
    return c != 0 ? c : type.compareTo(o.type);
  }
}
